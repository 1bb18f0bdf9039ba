namespace Vireo.Sys;

/// <summary>A run of native memory for a vectored transfer (one iovec): memory that stays mapped
/// for the whole call, such as guest RAM. Managed arrays do not belong here (they move).</summary>
/// <param name="Address">The first byte.</param>
/// <param name="Length">The byte count, zero or more.</param>
public readonly record struct IoSegment(nint Address, int Length)
{
    /// <summary>The bytes of <paramref name="segments"/> together.</summary>
    public static long TotalLength(ReadOnlySpan<IoSegment> segments)
    {
        long total = 0;
        foreach (IoSegment segment in segments)
        {
            total += segment.Length;
        }
        return total;
    }
}
