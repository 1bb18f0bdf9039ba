namespace Vireo.Devices;

/// <summary>
/// Everything an <see cref="AcpiPmDevice"/> needs to resume: the PM1 status (TMR_STS included),
/// enable and control registers, the GPE0 status and enable bytes, and the PM timer's 24-bit
/// count, from which the restored timer goes on counting.
/// </summary>
public sealed record AcpiPmState
{
    /// <summary>PM1_STS, TMR_STS included (ACPI 6.5 §4.8.4.1.1).</summary>
    public ushort Pm1Status { get; init; }

    /// <summary>PM1_EN (ACPI 6.5 §4.8.4.1.2).</summary>
    public ushort Pm1Enable { get; init; }

    /// <summary>BM_RLD and SLP_TYP; SCI_EN always reads one and SLP_EN is write-only.</summary>
    public ushort Pm1Control { get; init; }

    /// <summary>GPE0_STS, one bit per GPE, <see cref="AcpiPmDevice.Gpe0Length"/> / 2 bytes.</summary>
    public byte[] Gpe0Status { get; init; } = new byte[AcpiPmDevice.Gpe0Length / 2];

    /// <summary>GPE0_EN, one bit per GPE, <see cref="AcpiPmDevice.Gpe0Length"/> / 2 bytes.</summary>
    public byte[] Gpe0Enable { get; init; } = new byte[AcpiPmDevice.Gpe0Length / 2];

    /// <summary>The PM timer's 24-bit count when the state was taken.</summary>
    public uint TimerValue { get; init; }

    /// <summary>Compares every register, and the GPE0 arrays by content rather than by reference.</summary>
    public bool Equals(AcpiPmState? other)
        => other is not null
            && Pm1Status == other.Pm1Status
            && Pm1Enable == other.Pm1Enable
            && Pm1Control == other.Pm1Control
            && TimerValue == other.TimerValue
            && Gpe0Status.AsSpan().SequenceEqual(other.Gpe0Status)
            && Gpe0Enable.AsSpan().SequenceEqual(other.Gpe0Enable);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Pm1Status, Pm1Enable, Pm1Control, TimerValue, Gpe0Status.Length, Gpe0Enable.Length);
}
