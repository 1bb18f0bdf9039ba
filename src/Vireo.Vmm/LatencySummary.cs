namespace Vireo.Vmm;

/// <summary>Order statistics of one latency, in microseconds (nearest-rank percentiles).</summary>
public sealed record LatencySummary(int Count, double Min, double Median, double P90, double P99, double Max)
{
    /// <summary>The summary of <paramref name="microseconds"/> (at least one sample).</summary>
    public static LatencySummary Of(IReadOnlyCollection<double> microseconds)
    {
        ArgumentNullException.ThrowIfNull(microseconds);
        if (microseconds.Count == 0)
        {
            throw new ArgumentException("no samples", nameof(microseconds));
        }
        double[] sorted = [.. microseconds];
        Array.Sort(sorted);
        return new LatencySummary(sorted.Length, sorted[0], Rank(sorted, 0.50), Rank(sorted, 0.90), Rank(sorted, 0.99), sorted[^1]);
    }

    /// <summary>The smallest sample with at least <paramref name="fraction"/> of the samples at or below it.</summary>
    private static double Rank(double[] sorted, double fraction)
        => sorted[Math.Clamp((int)Math.Ceiling(fraction * sorted.Length) - 1, 0, sorted.Length - 1)];
}
