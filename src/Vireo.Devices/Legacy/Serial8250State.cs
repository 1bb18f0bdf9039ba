namespace Vireo.Devices;

/// <summary>
/// Everything a <see cref="Serial8250"/> needs to resume: its registers as the guest left them,
/// the pending THRE interrupt, the bytes still waiting in the receive FIFO, and the count of host
/// input dropped. Taken with <see cref="Serial8250.GetState"/> and put back with
/// <see cref="Serial8250.RestoreState"/>, which refuses values a 16550A cannot hold. Plain
/// get/init properties of simple types, so System.Text.Json (source-generated) can carry it into
/// another process; the interrupt line's level is not stored, it follows from the registers.
/// </summary>
public sealed record Serial8250State
{
    /// <summary>IER, the interrupt enable register; only bits 3:0 exist.</summary>
    public byte InterruptEnable { get; init; }

    /// <summary>LCR, the line control register (DLAB included).</summary>
    public byte LineControl { get; init; }

    /// <summary>MCR, the modem control register (loopback and OUT2 included); only bits 4:0 exist.</summary>
    public byte ModemControl { get; init; }

    /// <summary>
    /// The LSR error bits (OE, PE, FE, BI: bits 4:1) that a read of LSR has not yet cleared; the
    /// other LSR bits are derived from the FIFO and the transmitter, not stored.
    /// </summary>
    public byte LineStatusErrors { get; init; }

    /// <summary>The MSR delta bits (3:0) that a read of MSR has not yet cleared; the line states are derived from MCR.</summary>
    public byte ModemStatusDeltas { get; init; }

    /// <summary>SCR, the scratch register.</summary>
    public byte Scratch { get; init; }

    /// <summary>The baud-rate divisor latch (DLL and DLM).</summary>
    public ushort Divisor { get; init; }

    /// <summary>
    /// The FCR bits that persist: FIFO enable (bit 0), DMA mode (bit 3) and the receive trigger
    /// level (bits 7:6); zero when the FIFOs are disabled, as the others only take with bit 0 set.
    /// </summary>
    public byte FifoControl { get; init; }

    /// <summary>A THRE interrupt is pending that an IIR read has not yet cleared.</summary>
    public bool TransmitterEmptyPending { get; init; }

    /// <summary>Bytes received and not yet read by the guest, oldest first.</summary>
    public byte[] ReceiveFifo { get; init; } = [];

    /// <summary>Host input bytes dropped so far (<see cref="Serial8250.RxDropped"/>), kept so the count survives a restore.</summary>
    public long RxDropped { get; init; }

    /// <summary>Compares every register, and the FIFO by content rather than by reference.</summary>
    public bool Equals(Serial8250State? other)
        => other is not null
            && InterruptEnable == other.InterruptEnable
            && LineControl == other.LineControl
            && ModemControl == other.ModemControl
            && LineStatusErrors == other.LineStatusErrors
            && ModemStatusDeltas == other.ModemStatusDeltas
            && Scratch == other.Scratch
            && Divisor == other.Divisor
            && FifoControl == other.FifoControl
            && TransmitterEmptyPending == other.TransmitterEmptyPending
            && RxDropped == other.RxDropped
            && ReceiveFifo.AsSpan().SequenceEqual(other.ReceiveFifo);

    /// <inheritdoc/>
    public override int GetHashCode()
        => HashCode.Combine(
            HashCode.Combine(InterruptEnable, LineControl, ModemControl, LineStatusErrors, ModemStatusDeltas),
            HashCode.Combine(Scratch, Divisor, FifoControl, TransmitterEmptyPending, RxDropped, ReceiveFifo?.Length ?? 0));
}
