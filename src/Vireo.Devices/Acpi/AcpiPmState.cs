namespace Vireo.Devices;

/// <summary>
/// Everything an <see cref="AcpiPmDevice"/> needs to resume: the PM1 status (TMR_STS included),
/// enable and control registers, the GPE0 status and enable bytes, and the PM timer's 24-bit
/// count, from which the restored timer goes on counting.
/// </summary>
public sealed record AcpiPmState
{
    public ushort Pm1Status { get; init; }

    public ushort Pm1Enable { get; init; }

    /// <summary>BM_RLD and SLP_TYP; SCI_EN always reads one and SLP_EN is write-only.</summary>
    public ushort Pm1Control { get; init; }

    public byte[] Gpe0Status { get; init; } = new byte[AcpiPmDevice.Gpe0Length / 2];

    public byte[] Gpe0Enable { get; init; } = new byte[AcpiPmDevice.Gpe0Length / 2];

    public uint TimerValue { get; init; }

    public bool Equals(AcpiPmState? other)
        => other is not null
            && Pm1Status == other.Pm1Status
            && Pm1Enable == other.Pm1Enable
            && Pm1Control == other.Pm1Control
            && TimerValue == other.TimerValue
            && Gpe0Status.AsSpan().SequenceEqual(other.Gpe0Status)
            && Gpe0Enable.AsSpan().SequenceEqual(other.Gpe0Enable);

    public override int GetHashCode() => HashCode.Combine(Pm1Status, Pm1Enable, Pm1Control, TimerValue, Gpe0Status.Length, Gpe0Enable.Length);
}
