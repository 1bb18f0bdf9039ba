namespace Vireo.Lab;

/// <summary>Figures the lab benchmarks share.</summary>
internal static class BenchmarkStatistics
{
    /// <summary>The median of <paramref name="values"/>; the mean of the middle two for an even count.</summary>
    /// <exception cref="ArgumentException">There are no values.</exception>
    public static double Median(IEnumerable<double> values)
    {
        double[] sorted = [.. values.Order()];
        if (sorted.Length == 0)
        {
            throw new ArgumentException("no samples", nameof(values));
        }
        int middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
