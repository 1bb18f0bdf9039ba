namespace Vireo.Devices;

/// <summary>
/// Everything a <see cref="Serial8250"/> needs to resume: its registers as the guest left them,
/// the pending THRE interrupt, and the bytes still waiting in the receive FIFO.
/// </summary>
public sealed record Serial8250State
{
    /// <summary>IER, the interrupt enable register.</summary>
    public byte InterruptEnable { get; init; }

    /// <summary>LCR, the line control register (DLAB included).</summary>
    public byte LineControl { get; init; }

    /// <summary>MCR, the modem control register (loopback and OUT2 included).</summary>
    public byte ModemControl { get; init; }

    /// <summary>The LSR error bits (overrun and friends) that a read of LSR has not yet cleared.</summary>
    public byte LineStatusErrors { get; init; }

    /// <summary>The MSR delta bits that a read of MSR has not yet cleared.</summary>
    public byte ModemStatusDeltas { get; init; }

    /// <summary>SCR, the scratch register.</summary>
    public byte Scratch { get; init; }

    /// <summary>The baud-rate divisor latch (DLL and DLM).</summary>
    public ushort Divisor { get; init; }

    /// <summary>The FCR bits that persist: FIFO enable, DMA mode and the receive trigger level.</summary>
    public byte FifoControl { get; init; }

    /// <summary>A THRE interrupt is pending that an IIR read has not yet cleared.</summary>
    public bool TransmitterEmptyPending { get; init; }

    /// <summary>Bytes received and not yet read by the guest, oldest first.</summary>
    public byte[] ReceiveFifo { get; init; } = [];

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
            && ReceiveFifo.AsSpan().SequenceEqual(other.ReceiveFifo);

    /// <inheritdoc/>
    public override int GetHashCode()
        => HashCode.Combine(
            HashCode.Combine(InterruptEnable, LineControl, ModemControl, LineStatusErrors, ModemStatusDeltas),
            HashCode.Combine(Scratch, Divisor, FifoControl, TransmitterEmptyPending, ReceiveFifo.Length));
}
