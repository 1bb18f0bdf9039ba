namespace Vireo.Devices;

/// <summary>
/// Everything a <see cref="Serial8250"/> needs to resume: its registers as the guest left them,
/// the pending THRE interrupt, and the bytes still waiting in the receive FIFO.
/// </summary>
public sealed record Serial8250State
{
    public byte InterruptEnable { get; init; }

    public byte LineControl { get; init; }

    public byte ModemControl { get; init; }

    /// <summary>The LSR error bits (overrun and friends) that a read of LSR has not yet cleared.</summary>
    public byte LineStatusErrors { get; init; }

    /// <summary>The MSR delta bits that a read of MSR has not yet cleared.</summary>
    public byte ModemStatusDeltas { get; init; }

    public byte Scratch { get; init; }

    public ushort Divisor { get; init; }

    public byte FifoControl { get; init; }

    public bool TransmitterEmptyPending { get; init; }

    public byte[] ReceiveFifo { get; init; } = [];

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

    public override int GetHashCode()
        => HashCode.Combine(
            HashCode.Combine(InterruptEnable, LineControl, ModemControl, LineStatusErrors, ModemStatusDeltas),
            HashCode.Combine(Scratch, Divisor, FifoControl, TransmitterEmptyPending, ReceiveFifo.Length));
}
