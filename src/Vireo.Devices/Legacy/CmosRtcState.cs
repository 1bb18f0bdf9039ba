namespace Vireo.Devices;

/// <summary>
/// Everything a <see cref="CmosRtc"/> needs to resume: the last index written (NMI bit included),
/// the 128 CMOS bytes (registers A and B, alarms, RAM, and the clock fields while SET holds
/// them), and how far the guest's clock runs from the host's.
/// </summary>
public sealed record CmosRtcState
{
    /// <summary>The last value written to the index port, NMI-disable bit included.</summary>
    public byte Index { get; init; }

    /// <summary>The <see cref="CmosRtc.MemorySize"/> CMOS bytes.</summary>
    public byte[] Memory { get; init; } = new byte[CmosRtc.MemorySize];

    /// <summary>How far the guest's clock is ahead of the host's (negative when behind).</summary>
    public TimeSpan ClockOffset { get; init; }

    /// <summary>Compares every field, and the CMOS bytes by content rather than by reference.</summary>
    public bool Equals(CmosRtcState? other)
        => other is not null
            && Index == other.Index
            && ClockOffset == other.ClockOffset
            && Memory.AsSpan().SequenceEqual(other.Memory);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Index, ClockOffset, Memory.Length);
}
