using Vireo.Memory;

namespace Vireo.Vmm;

/// <summary>What the machine gives an <see cref="IMachineBoundPciFunction"/> when it binds it.</summary>
public sealed class PciFunctionHost
{
    /// <summary>The machine's MSI, MSI-X and INTx plumbing.</summary>
    public required DeviceInterrupts Interrupts { get; init; }

    /// <summary>Guest RAM; shared (memfd-backed) when any bound function asked for it.</summary>
    public required GuestMemory Memory { get; init; }

    /// <summary>The slot on bus 0 the function sits in.</summary>
    public required int Slot { get; init; }

    /// <summary>The function's requester ID (bus 0, its slot, function 0: bus &lt;&lt; 8 | device
    /// &lt;&lt; 3 | function), by which its MSIs name it to an arm64 ITS (the device tree's
    /// msi-map passes it through unchanged).</summary>
    public ushort RequesterId => (ushort)(Slot << 3);

    /// <summary>The GSI of the function's INTA# after the _PRT swizzle.</summary>
    public required uint IntxGsi { get; init; }

    /// <summary>Registers an ioeventfd: KVM signals the eventfd instead of exiting for a guest
    /// write of the given size (and value, if given) at a guest-physical address. Returns what
    /// unregisters it.</summary>
    public required Func<ulong, int, ulong?, Sys.EventFd, IDisposable> AddIoEventFd { get; init; }

    /// <summary>Tells the machine's owner the device is gone (reason in words); the owner puts a
    /// <c>device-lost</c> event on <c>vm.events</c>. Safe from any thread, once per loss.</summary>
    public required Action<string> DeviceLost { get; init; }

    /// <summary>Takes the function's mmap'd BAR areas out of the guest's memory map (true), so
    /// every access traps to the function, or puts them back (false). A device in low power
    /// refuses mmap access (the kernel's VFIO raises SIGBUS), so its areas are trapped first.
    /// Called under the function's own lock; no-op by default (a function without a machine).</summary>
    public Action<bool> TrapMappedAreas { get; init; } = _ => { };

    /// <summary>Tells the machine's owner the device's power state changed by itself ("active"
    /// after a wake), for a <c>device-wake</c> event and, when the guest had powered the device
    /// off, its wake GPE. Safe from any thread.</summary>
    public Action<string> PowerChanged { get; init; } = _ => { };

    /// <summary>The device sent an ACPI notify code on its own channel (IRQ index 5): the machine
    /// queues it in the device's mailbox and raises its notify GPE, whose method does
    /// <c>Notify(device, code)</c>. Called from the function's events thread, in the device's order.</summary>
    public Action<byte> AcpiNotify { get; init; } = _ => { };

    /// <summary>Whether the device's mailbox can take a code now. While it cannot, the events
    /// thread leaves the notify channel unread, so the codes wait at the device (whose own queue
    /// is bounded and reports what it drops) instead of being read only to be dropped here.</summary>
    public Func<bool> AcpiNotifyRoom { get; init; } = () => true;

    /// <summary>The device reported <c>count</c> ACPI notify codes it had to drop (its queue was
    /// full), or sent a value that is no code (counted as one). Called like <see cref="AcpiNotify"/>.</summary>
    public Action<int> AcpiNotifyLost { get; init; } = _ => { };
}
