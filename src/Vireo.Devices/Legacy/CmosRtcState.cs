namespace Vireo.Devices;

/// <summary>
/// Everything a <see cref="CmosRtc"/> needs to resume: the last index written (NMI bit included),
/// the 128 CMOS bytes (registers A and B, alarms, RAM, and the clock fields while SET holds
/// them), and how far the guest's clock runs from the host's.
/// </summary>
public sealed record CmosRtcState
{
    public byte Index { get; init; }

    public byte[] Memory { get; init; } = new byte[CmosRtc.MemorySize];

    public TimeSpan ClockOffset { get; init; }

    public bool Equals(CmosRtcState? other)
        => other is not null
            && Index == other.Index
            && ClockOffset == other.ClockOffset
            && Memory.AsSpan().SequenceEqual(other.Memory);

    public override int GetHashCode() => HashCode.Combine(Index, ClockOffset, Memory.Length);
}
