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
/// A lab test that runs again when it failed while L1 wedged, up to <see cref="MaxAttempts"/>
/// attempts. The wedge is QEMU 7.2 TCG's (see L1Machine's watchdog): it stalls L1 for tens of
/// seconds or kills it, whatever the test does, and on a loaded CI host it hits one long lab test
/// in a few; one test was seen to wedge twice in a row (the reboot soak, 2026-12-06). Only that
/// is retried: a failure with no wedge seen during it (<see cref="L1Machine.WedgeEvents"/>
/// unchanged), or the last attempt's failure, is the test's result. An earlier attempt is not
/// lost: its failure, its output and the watchdog's count lead the next attempt's output, in the
/// test log and the TRX, so a rerun is always visible.
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

    /// <summary>How many times a test that fails while L1 wedges runs at most.</summary>
    public const int MaxAttempts = 3;

    public override async Task<RunSummary> RunAsync(IMessageSink diagnosticMessageSink, IMessageBus messageBus, object[] constructorArguments, ExceptionAggregator aggregator, CancellationTokenSource cancellationTokenSource)
    {
        string account = "";
        decimal earlierTime = 0;
        for (int attempt = 1; ; attempt++)
        {
            long wedgesBefore = L1Machine.WedgeEvents;
            using var held = new HeldMessages(messageBus, account);
            bool last = attempt == MaxAttempts;
            RunSummary summary = await base.RunAsync(diagnosticMessageSink, held, constructorArguments,
                last ? aggregator : new ExceptionAggregator(aggregator), cancellationTokenSource).ConfigureAwait(false);
            summary.Time += earlierTime;
            long wedges = L1Machine.WedgeEvents - wedgesBefore;
            if (last || summary.Failed == 0 || wedges == 0 || cancellationTokenSource.IsCancellationRequested)
            {
                held.Release();
                return summary;
            }
            earlierTime = summary.Time;
            account += $"--- attempt {attempt} of {MaxAttempts} failed while L1 wedged ({wedges} watchdog event(s); the lab log has their lines), so the test ran again ---\n" +
                $"{held.Failure}\n{held.Output}\n--- attempt {attempt + 1} of {MaxAttempts} ---\n";
        }
    }

    /// <summary>Holds an attempt's messages until it is known whether they are the result; the
    /// result's output is then led by <paramref name="earlierAttempts"/> (their account).</summary>
    private sealed class HeldMessages(IMessageBus inner, string earlierAttempts) : IMessageBus
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
                    inner.QueueMessage(earlierAttempts.Length == 0 ? message : message switch
                    {
                        ITestPassed passed => new TestPassed(passed.Test, passed.ExecutionTime, earlierAttempts + passed.Output),
                        ITestFailed failed => new TestFailed(failed.Test, failed.ExecutionTime, earlierAttempts + failed.Output, failed.ExceptionTypes, failed.Messages, failed.StackTraces, failed.ExceptionParentIndices),
                        _ => message,
                    });
                }
                _held.Clear();
            }
        }

        public void Dispose()
        {
        }
    }
}
