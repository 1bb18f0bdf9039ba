using System.Collections.Concurrent;

namespace Vireo.Api.Tests;

/// <summary>An <see cref="IVmm"/> that records the requests the API sent it, with a GPE block of
/// 16 GPEs and an error to throw on demand, as the control loop's replies would fault.</summary>
internal sealed class FakeVmController : IVmm
{
    public const int GpeCount = 16;

    private readonly ConcurrentQueue<string> _calls = new();

    public VmEventHub Events { get; } = new();

    /// <summary>A vfio-user device as vm.info lists it: one BAR placed, one not.</summary>
    public static readonly PciDeviceInfo SampleDevice = new("sample0", "vfio-user", "0000:00:01.0", "1af4", "10f1",
        [new PciBarInfo(0, "memory32", 0x1000, false, 0xc000_0000), new PciBarInfo(2, "memory64", 0x1_0000, true, null)], "msix", true,
        Power: "low-power", DState: "D3cold", WakeArmed: true, NotifyLatency: new EventLatencyInfo(3, 12.5, 20, 31.2),
        Counters: new Dictionary<string, long> { ["read_ops"] = 3, ["read_bytes"] = 1536 });

    public VmInfo InfoToReturn { get; set; } =
        new(VmState.Running, "s0", 2, 256L << 20, "/boot/vmlinuz", "console=ttyS0", 1234, [SampleDevice]);

    /// <summary>Thrown by the next action (not by Info), then cleared.</summary>
    public Exception? ThrowNext { get; set; }

    public IReadOnlyList<string> Calls => [.. _calls];

    /// <summary>When set, actions (not Info) wait for it before they are carried out, as the
    /// control loop's reply can take a while; <see cref="Held"/> completes once one is waiting.</summary>
    public Task? Gate { get; set; }

    public TaskCompletionSource Held { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<TReply> SendAsync<TReply>(VmmRequest<TReply> request)
    {
        if (Gate is Task gate && request is not GetVmInfo)
        {
            Held.TrySetResult();
            return gate.ContinueWith(_ => Reply(request), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).Unwrap();
        }
        return Reply(request);
    }

    private Task<TReply> Reply<TReply>(VmmRequest<TReply> request)
    {
        try
        {
            object? reply = request switch
            {
                GetVmInfo => InfoToReturn,
                PressPowerButton => Record("power-button"),
                ShutdownVm shutdown => Record(shutdown.Force ? "shutdown force" : "shutdown"),
                PauseVm => Record("pause"),
                ResumeVm => Record("resume"),
                RaiseGpe gpe => RaiseGpe(gpe.Gpe),
                // As the control loop answers an event the guest has not registered there.
                SignalSdeiEvent sdei => sdei.Event == 7
                    ? throw new VmStateException($"SDEI event 7 is not registered on vCPU {sdei.Cpu}, so the signal was dropped")
                    : Record(sdei.Cpu is int cpu ? $"sdei {sdei.Event} cpu {cpu}" : $"sdei {sdei.Event}"),
                // As the control loop answers a VM that is not paused.
                SnapshotVm snapshot => snapshot.Directory == "/running"
                    ? throw new VmStateException("the VM is running: a snapshot is of a paused VM (`vireo remote pause` first)")
                    : Record($"snapshot {snapshot.Directory}"),
                WakeVm wake => Record(wake.Delay is TimeSpan d ? $"wake {d.TotalMilliseconds}ms" : "wake"),
                SetDeviceLowPower power => power.Id == "edu"
                    ? Record($"device-power {power.Id} {(power.LowPower ? "on" : "off")}")
                    : throw new ArgumentException($"no assigned PCI device '{power.Id}' (`vireo remote devices` lists them)"),
                _ => throw new NotSupportedException(request.GetType().Name),
            };
            return Task.FromResult((TReply)reply!);
        }
        catch (Exception e)
        {
            return Task.FromException<TReply>(e);
        }
    }

    private VmmAck RaiseGpe(int gpe)
    {
        if (gpe >= GpeCount)
        {
            throw new ArgumentOutOfRangeException(nameof(gpe), gpe, $"this VM has GPEs 0 to {GpeCount - 1}");
        }
        return Record($"gpe {gpe}");
    }

    private VmmAck Record(string call)
    {
        Exception? e = ThrowNext;
        if (e is not null)
        {
            ThrowNext = null;
            throw e;
        }
        _calls.Enqueue(call);
        return default;
    }
}
