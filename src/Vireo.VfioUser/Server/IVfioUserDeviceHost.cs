namespace Vireo.VfioUser;

/// <summary>What a device may ask of whoever serves it: guest memory, interrupts, ACPI
/// notifications and wake-up. The server implements it; device tests can fake it.</summary>
public interface IVfioUserDeviceHost
{
    /// <summary>True while the client has put the device in low power.</summary>
    bool IsLowPower { get; }

    /// <summary>Reads guest memory through the client's DMA maps (mmap'd fd or DMA_READ
    /// messages). Throws <see cref="VfioUserException"/> (EFAULT) outside every map.</summary>
    void DmaRead(ulong address, Span<byte> destination);

    /// <summary>Writes guest memory through the client's DMA maps (mmap'd fd or DMA_WRITE messages). Throws <see cref="VfioUserException"/> (EFAULT) outside every map.</summary>
    void DmaWrite(ulong address, ReadOnlySpan<byte> source);

    /// <summary>Raises vector <paramref name="vector"/> of the interrupt mode the guest enabled
    /// (MSI-X, else MSI, else INTx). False when nothing could be signalled (no eventfd, masked:
    /// then it is left pending).</summary>
    bool Interrupt(int vector);

    /// <summary>Signals vector <paramref name="subIndex"/> of IRQ index <paramref name="index"/> directly; false when nothing could be signalled.</summary>
    bool TriggerIrq(VfioIrqIndex index, int subIndex);

    /// <summary>Queues an ACPI notify code (ACPI 6.5 §5.6.6) for the client, in order.</summary>
    void NotifyAcpi(byte code);

    /// <summary>The device has work while in low power: wake it (signals the wake eventfd once).</summary>
    void RequestWake();
}
