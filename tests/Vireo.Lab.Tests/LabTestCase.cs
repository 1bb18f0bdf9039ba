using System.ComponentModel;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Vireo.Lab.Tests;

/// <summary>Makes every <see cref="LabFactAttribute"/> test a <see cref="LabTestCase"/>.</summary>
public sealed class LabTestCaseDiscoverer(IMessageSink diagnosticMessageSink) : FactDiscoverer(diagnosticMessageSink)
{
    protected override IXunitTestCase CreateTestCase(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute) =>
        new LabTestCase(DiagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(), discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod);
}

/// <summary>
/// A lab test that runs once more when it failed while L1 wedged. The wedge is QEMU 7.2 TCG's
/// (see L1Machine's watchdog): it stalls L1 for tens of seconds or kills it, whatever the test
/// does, and on a loaded CI host it hits one long lab test in a few. Only that is retried: a
/// failure with no wedge seen during it (<see cref="L1Machine.WedgeEvents"/> unchanged), or a
/// second failure, is the test's result. The first attempt is not lost: its failure, its
/// output and the watchdog's count lead the second attempt's output, in the test log and the
/// TRX, so a rerun is always visible.
/// </summary>
public sealed class LabTestCase : XunitTestCase
{
    [EditorBrowsable(EditorBrowsableState.Never)]
    [Obsolete("Called by the de-serializer; should only be called by deriving classes for de-serialization purposes")]
    public LabTestCase()
    {
    }

    public LabTestCase(IMessageSink diagnosticMessageSink, TestMethodDisplay defaultMethodDisplay, TestMethodDisplayOptions defaultMethodDisplayOptions, ITestMethod testMethod)
        : base(diagnosticMessageSink, defaultMethodDisplay, defaultMethodDisplayOptions, testMethod)
    {
    }

    public override async Task<RunSummary> RunAsync(IMessageSink diagnosticMessageSink, IMessageBus messageBus, object[] constructorArguments, ExceptionAggregator aggregator, CancellationTokenSource cancellationTokenSource)
    {
        long wedgesBefore = L1Machine.WedgeEvents;
        using var first = new HeldMessages(messageBus);
        RunSummary summary = await base.RunAsync(diagnosticMessageSink, first, constructorArguments, new ExceptionAggregator(aggregator), cancellationTokenSource).ConfigureAwait(false);
        long wedges = L1Machine.WedgeEvents - wedgesBefore;
        if (summary.Failed == 0 || wedges == 0 || cancellationTokenSource.IsCancellationRequested)
        {
            first.Release();
            return summary;
        }
        string account = $"--- attempt 1 of 2 failed while L1 wedged ({wedges} watchdog event(s); the lab log has their lines), so the test ran once more ---\n" +
            $"{first.Failure}\n{first.Output}\n--- attempt 2 of 2 ---\n";
        using var second = new PrefixedResultOutput(messageBus, account);
        RunSummary again = await base.RunAsync(diagnosticMessageSink, second, constructorArguments, aggregator, cancellationTokenSource).ConfigureAwait(false);
        again.Time += summary.Time;
        return again;
    }

    /// <summary>Holds an attempt's messages until it is known whether they are the result.</summary>
    private sealed class HeldMessages(IMessageBus inner) : IMessageBus
    {
        private readonly List<IMessageSinkMessage> _held = [];

        public string Failure { get; private set; } = "";

        public string Output { get; private set; } = "";

        public bool QueueMessage(IMessageSinkMessage message)
        {
            switch (message)
            {
                case ITestFailed failed:
                    Failure = string.Join("\n", failed.ExceptionTypes.Zip(failed.Messages, (type, text) => $"{type}: {text}"));
                    Output = failed.Output;
                    break;
                case ITestResultMessage result:
                    Output = result.Output;
                    break;
            }
            lock (_held)
            {
                _held.Add(message);
            }
            return true;
        }

        public void Release()
        {
            lock (_held)
            {
                foreach (IMessageSinkMessage message in _held)
                {
                    inner.QueueMessage(message);
                }
                _held.Clear();
            }
        }

        public void Dispose()
        {
        }
    }

    /// <summary>Passes messages on, with <paramref name="prefix"/> leading the result's output.</summary>
    private sealed class PrefixedResultOutput(IMessageBus inner, string prefix) : IMessageBus
    {
        public bool QueueMessage(IMessageSinkMessage message) => inner.QueueMessage(message switch
        {
            ITestPassed passed => new TestPassed(passed.Test, passed.ExecutionTime, prefix + passed.Output),
            ITestFailed failed => new TestFailed(failed.Test, failed.ExecutionTime, prefix + failed.Output, failed.ExceptionTypes, failed.Messages, failed.StackTraces, failed.ExceptionParentIndices),
            _ => message,
        });

        public void Dispose()
        {
        }
    }
}
