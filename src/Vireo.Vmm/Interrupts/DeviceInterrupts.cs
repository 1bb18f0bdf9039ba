using Vireo.Kvm;
using Vireo.Pci;
using Vireo.Sys;

namespace Vireo.Vmm;

/// <summary>
/// One per VM: the interrupt plumbing PCI functions use, whatever their backend (a vfio-user
/// server, kernel VFIO, an emulated device). It owns the <see cref="GsiRouter"/> and the one
/// thread that watches masked vectors' eventfds, and makes the per-function objects:
/// <see cref="MsixVectors"/>, <see cref="MsiVectors"/> and <see cref="IntxResampleLine"/>.
/// Nothing polls: live vectors are irqfds, masked ones wait in epoll.
/// </summary>
public sealed class DeviceInterrupts : IDisposable
{
    private readonly IKvmInterrupts _kvm;
    private readonly InterruptEventLoop _loop;

    /// <summary>Interrupts over <paramref name="kvm"/>; <paramref name="onError"/> hears of a
    /// failure on the event thread (the vector concerned is no longer watched).</summary>
    public DeviceInterrupts(IKvmInterrupts kvm, Action<Exception>? onError = null)
    {
        ArgumentNullException.ThrowIfNull(kvm);
        _kvm = kvm;
        Router = new GsiRouter(kvm);
        _loop = new InterruptEventLoop(onError ?? (e => Console.Error.WriteLine($"vireo: device interrupt handling failed: {e.Message}")));
    }

    /// <summary>Interrupts for <paramref name="vm"/>; throws <see cref="KvmUnavailableException"/>
    /// if its KVM lacks GSI routing, irqfd or irqfd resampling.</summary>
    public static DeviceInterrupts ForKvm(KvmVm vm, Action<Exception>? onError = null) => new(KvmInterrupts.For(vm), onError);

    /// <summary>The VM's routing table.</summary>
    public GsiRouter Router { get; }

    /// <summary>How many eventfds the event thread watches now (masked or disabled vectors).</summary>
    public int WatchedEventFds => _loop.Watched;

    /// <summary>MSI-X for the function with requester ID <paramref name="requesterId"/>
    /// (<see cref="PciFunctionHost.RequesterId"/>: an ITS knows the sender by it), whose
    /// guest-visible table is <paramref name="table"/> and whose device signals
    /// <paramref name="triggers"/>[v] for vector v. The eventfds stay the caller's; they are made
    /// non-blocking.</summary>
    public MsixVectors CreateMsix(ushort requesterId, MsixTable table, IReadOnlyList<EventFd> triggers) => new(Router, _kvm, _loop, table, triggers, requesterId);

    /// <summary>MSI for the function with requester ID <paramref name="requesterId"/>, whose
    /// device signals <paramref name="triggers"/>[i] for message i (1 to 32 messages, a power of two).</summary>
    public MsiVectors CreateMsi(ushort requesterId, IReadOnlyList<EventFd> triggers) => new(Router, _kvm, _loop, triggers, requesterId);

    /// <summary>A level INTx line on <paramref name="gsi"/> (an IOAPIC pin the PCI bus's _PRT
    /// names; on arm64 the SPI the device tree's interrupt-map names), with the trigger and resample eventfds to give the device.</summary>
    public IntxResampleLine CreateIntx(uint gsi)
    {
        RequireIrqchipPin(gsi);
        return new IntxResampleLine(_kvm, gsi);
    }

    /// <summary>A level INTx line on <paramref name="gsi"/> that an emulated function drives itself
    /// (KVM_IRQ_LINE): high while it has an interrupt to report, low once the guest took it (for
    /// virtio, when the driver reads the ISR). Only level changes reach KVM.</summary>
    public KvmIrqLine CreateLevelLine(uint gsi)
    {
        RequireIrqchipPin(gsi);
        return new KvmIrqLine(_kvm, gsi);
    }

    private void RequireIrqchipPin(uint gsi)
    {
        if (gsi >= Router.IrqchipPins)
        {
            throw new ArgumentOutOfRangeException(nameof(gsi), gsi, $"INTx is a pin of the irqchip, below {Router.IrqchipPins}");
        }
    }

    /// <summary>Stops the event thread. Dispose the functions' objects first.</summary>
    public void Dispose() => _loop.Dispose();
}
