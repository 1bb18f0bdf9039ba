using System.Collections.Concurrent;

namespace Vireo.Api.Fuzz;

/// <summary>An <see cref="IVmm"/> that records each request the API sends it and answers as a
/// running machine with 16 GPEs and one assigned device, <c>edu</c>, would: values this machine
/// lacks are an <see cref="ArgumentException"/>, as the control loop's are.</summary>
public sealed class RecordingVmm : IVmm
{
    /// <summary>GPEs 0 to this less one exist.</summary>
    public const int GpeCount = 16;

    /// <summary>The one device vm.device-power can name.</summary>
    public const string DeviceId = "edu";

    private readonly ConcurrentQueue<string> _calls = new();

    /// <inheritdoc/>
    public VmEventHub Events { get; } = new();

    /// <summary>The requests received, in order, as short words ("pause", "gpe 3", ...).</summary>
    public IReadOnlyList<string> Calls => [.. _calls];

    /// <inheritdoc/>
    public Task<TReply> SendAsync<TReply>(VmmRequest<TReply> request)
    {
        try
        {
            object reply = request switch
            {
                GetVmInfo => Info(),
                PressPowerButton => Record("power-button"),
                ShutdownVm shutdown => Record(shutdown.Force ? "shutdown force" : "shutdown"),
                PauseVm => Record("pause"),
                ResumeVm => Record("resume"),
                RaiseGpe gpe => gpe.Gpe is >= 0 and < GpeCount
                    ? Record($"gpe {gpe.Gpe}")
                    : throw new ArgumentOutOfRangeException(nameof(request), gpe.Gpe, $"this VM has GPEs 0 to {GpeCount - 1}"),
                SignalSdeiEvent sdei => Record(sdei.Cpu is int cpu ? $"sdei {sdei.Event} cpu {cpu}" : $"sdei {sdei.Event}"),
                SnapshotVm snapshot => Record($"snapshot {snapshot.Directory}"),
                WakeVm wake => Record(wake.Delay is TimeSpan d ? $"wake {d.TotalMilliseconds}ms" : "wake"),
                SetDeviceLowPower power => power.Id == DeviceId
                    ? Record($"device-power {power.Id} {(power.LowPower ? "on" : "off")}")
                    : throw new ArgumentException($"no assigned PCI device '{power.Id}'"),
                _ => throw new NotSupportedException(request.GetType().Name),
            };
            return Task.FromResult((TReply)reply);
        }
        catch (Exception e)
        {
            return Task.FromException<TReply>(e);
        }
    }

    private VmInfo Info()
    {
        _calls.Enqueue("info");
        return new VmInfo(VmState.Running, "s0", 2, 256L << 20, "/boot/vmlinuz", "console=ttyS0", 1234, []);
    }

    private VmmAck Record(string call)
    {
        _calls.Enqueue(call);
        return default;
    }
}
