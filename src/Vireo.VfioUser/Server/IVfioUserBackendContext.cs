namespace Vireo.VfioUser;

/// <summary>What the server offers the backend it serves: guest memory through the client's
/// DMA maps, the client's interrupts, ACPI notifications and wake-up. Callable from any thread.</summary>
public interface IVfioUserBackendContext
{
    /// <summary>True while the client has put the device in low power.</summary>
    bool IsLowPower { get; }

    /// <summary>Reads guest memory through the client's DMA maps (mmap'd fd or DMA_READ
    /// messages). Throws <see cref="VfioUserException"/> (EFAULT) outside every map.</summary>
    void DmaRead(ulong address, Span<byte> destination);

    /// <summary>Writes guest memory through the client's DMA maps (mmap'd fd or DMA_WRITE messages). Throws <see cref="VfioUserException"/> (EFAULT) outside every map.</summary>
    void DmaWrite(ulong address, ReadOnlySpan<byte> source);

    /// <summary>Signals vector <paramref name="subIndex"/> of IRQ index <paramref name="index"/>:
    /// false when nothing could be signalled (no eventfd, or masked: then it is left pending).
    /// INTx is automasked: a raise that signals masks the line until the client unmasks it.</summary>
    bool TriggerIrq(VfioIrqIndex index, int subIndex);

    /// <summary>The level of the backend's INTx line (<see cref="IVfioUserBackend.IntxAsserted"/>)
    /// may have changed. The server reads it under its lock: asserted and unmasked, it signals
    /// once and masks the line (automasking); while it stays asserted, every unmask by the
    /// client signals exactly once more, and nothing happens in between. Deasserting it
    /// signals nothing.</summary>
    void IntxChanged();

    /// <summary>Whether a raise of the vector waits for an unmask (the MSI-X PBA shows it).</summary>
    bool IsIrqPending(VfioIrqIndex index, int subIndex);

    /// <summary>The backend lifted a mask of its own (<see cref="IVfioUserBackend.IsIrqMasked"/>):
    /// deliver what waits.</summary>
    void DeliverPendingIrqs();

    /// <summary>Queues an ACPI notify code (ACPI 6.5 §5.6.6) for the client, in order.</summary>
    void NotifyAcpi(byte code);

    /// <summary>The device has work while in low power: wake it (signals the wake eventfd once).</summary>
    void RequestWake();
}
