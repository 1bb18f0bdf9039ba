using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Vireo.Lab;

/// <summary>Both VMMs' runs from one L1 boot. Absolute times are dominated by emulation (TCG
/// under L1); the ratio of the medians is the figure to compare.</summary>
public sealed class BootBenchmarkResult
{
    /// <summary>The "boot unmodified Linux" goal: Vireo reaches the marker in at most this
    /// fraction of QEMU's time.</summary>
    public const double Goal = 0.7;

    /// <summary>Collects the samples of one benchmark run.</summary>
    /// <param name="vireo">Vireo's runs; at least one.</param>
    /// <param name="qemu">QEMU's runs; at least one.</param>
    /// <param name="kernelCommandLine">The guest command line both VMMs passed.</param>
    /// <param name="qemuArguments">QEMU's machine options.</param>
    /// <param name="memoryMiB">Guest memory in MiB.</param>
    /// <param name="cpus">vCPUs per guest.</param>
    /// <exception cref="ArgumentException">Either list is empty.</exception>
    public BootBenchmarkResult(
        IReadOnlyList<BootBenchmarkSample> vireo,
        IReadOnlyList<BootBenchmarkSample> qemu,
        string kernelCommandLine,
        string qemuArguments,
        int memoryMiB,
        int cpus)
    {
        ArgumentNullException.ThrowIfNull(vireo);
        ArgumentNullException.ThrowIfNull(qemu);
        if (vireo.Count == 0 || qemu.Count == 0)
        {
            throw new ArgumentException("both VMMs need at least one sample");
        }
        Vireo = vireo;
        Qemu = qemu;
        KernelCommandLine = kernelCommandLine;
        QemuArguments = qemuArguments;
        MemoryMiB = memoryMiB;
        Cpus = cpus;
    }

    /// <summary>Vireo's runs, in the order they ran.</summary>
    public IReadOnlyList<BootBenchmarkSample> Vireo { get; }

    /// <summary>QEMU's runs, in the order they ran.</summary>
    public IReadOnlyList<BootBenchmarkSample> Qemu { get; }

    /// <summary>The guest command line both VMMs passed, without the marker script.</summary>
    public string KernelCommandLine { get; }

    /// <summary>QEMU's machine options, for the record.</summary>
    public string QemuArguments { get; }

    /// <summary>Guest memory in MiB.</summary>
    public int MemoryMiB { get; }

    /// <summary>vCPUs per guest.</summary>
    public int Cpus { get; }

    /// <summary>How long L1 took to boot, when the benchmark booted it.</summary>
    public TimeSpan? L1BootTime { get; internal set; }

    /// <summary>Median time to marker, Vireo over QEMU: the headline figure.</summary>
    public double Ratio => Median(Vireo, s => s.ToMarkerSeconds) / Median(Qemu, s => s.ToMarkerSeconds);

    /// <summary>Median time to VMM exit (guest reboot included), Vireo over QEMU.</summary>
    public double ExitRatio => Median(Vireo, s => s.ToExitSeconds) / Median(Qemu, s => s.ToExitSeconds);

    /// <summary>Whether <see cref="Ratio"/> is at most <see cref="Goal"/>.</summary>
    public bool MeetsGoal => Ratio <= Goal;

    /// <summary>The median of <paramref name="value"/> over <paramref name="samples"/>; the mean of the middle two for an even count.</summary>
    /// <param name="samples">At least one sample.</param>
    /// <param name="value">The figure to take from each sample.</param>
    /// <exception cref="ArgumentException"><paramref name="samples"/> is empty.</exception>
    public static double Median(IReadOnlyList<BootBenchmarkSample> samples, Func<BootBenchmarkSample, double> value)
    {
        ArgumentNullException.ThrowIfNull(samples);
        return BenchmarkStatistics.Median(samples.Select(value));
    }

    /// <summary>The result as one JSON object: settings, per-VMM medians and samples, and the ratios.</summary>
    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("benchmark", "boot");
            w.WriteNumber("rounds", Math.Max(Vireo.Count, Qemu.Count));
            w.WriteNumber("cpus", Cpus);
            w.WriteNumber("memoryMiB", MemoryMiB);
            w.WriteString("kernelCommandLine", KernelCommandLine);
            w.WriteString("qemuArguments", QemuArguments);
            if (L1BootTime is { } l1)
            {
                w.WriteNumber("l1BootSeconds", Round(l1.TotalSeconds));
            }
            WriteSide(w, "vireo", Vireo);
            WriteSide(w, "qemu", Qemu);
            w.WriteNumber("ratio", Math.Round(Ratio, 3));
            w.WriteNumber("exitRatio", Math.Round(ExitRatio, 3));
            w.WriteNumber("goal", Goal);
            w.WriteBoolean("meetsGoal", MeetsGoal);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>A table for people: medians, every sample, the ratio.</summary>
    public string ToTable()
    {
        var t = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        t.Append(c, $"boot benchmark: {Math.Max(Vireo.Count, Qemu.Count)} round(s), {Cpus} vCPU, {MemoryMiB} MiB, inside one L1 (QEMU TCG, nested kvm-amd)\n");
        t.Append(c, $"guest command line: {KernelCommandLine} (+ the marker script)\n");
        if (L1BootTime is { } l1)
        {
            t.Append(c, $"L1 boot: {l1.TotalSeconds:0.0} s\n");
        }
        t.Append('\n');
        t.Append(c, $"{"",-6} {"to marker (s)",14} {"to exit (s)",12} {"guest uptime (s)",17} {"before guest clock (s)",22}\n");
        foreach ((string name, IReadOnlyList<BootBenchmarkSample> samples) in (ReadOnlySpan<(string, IReadOnlyList<BootBenchmarkSample>)>)[("vireo", Vireo), ("qemu", Qemu)])
        {
            t.Append(c, $"{name,-6} {Median(samples, s => s.ToMarkerSeconds),14:0.00} {Median(samples, s => s.ToExitSeconds),12:0.00} " +
                $"{Median(samples, s => s.GuestUptimeAtMarkerSeconds),17:0.00} {Median(samples, s => s.BeforeGuestClockSeconds),22:0.00}   (median)\n");
            foreach (BootBenchmarkSample s in samples)
            {
                t.Append(c, $"{"",-6} {s.ToMarkerSeconds,14:0.00} {s.ToExitSeconds,12:0.00} {s.GuestUptimeAtMarkerSeconds,17:0.00} {s.BeforeGuestClockSeconds,22:0.00}   round {s.Round}\n");
            }
        }
        t.Append('\n');
        t.Append(c, $"vireo/qemu, median time to marker: {Ratio:0.000} (goal <= {Goal:0.0}: {(MeetsGoal ? "met" : "not met")})\n");
        t.Append(c, $"vireo/qemu, median time to exit:   {ExitRatio:0.000}\n");
        return t.ToString();
    }

    private static void WriteSide(Utf8JsonWriter w, string name, IReadOnlyList<BootBenchmarkSample> samples)
    {
        w.WriteStartObject(name);
        WriteMeasure(w, "toMarkerSeconds", samples, s => s.ToMarkerSeconds);
        WriteMeasure(w, "toExitSeconds", samples, s => s.ToExitSeconds);
        WriteMeasure(w, "guestUptimeAtMarkerSeconds", samples, s => s.GuestUptimeAtMarkerSeconds);
        WriteMeasure(w, "beforeGuestClockSeconds", samples, s => s.BeforeGuestClockSeconds);
        w.WriteEndObject();
    }

    private static void WriteMeasure(Utf8JsonWriter w, string name, IReadOnlyList<BootBenchmarkSample> samples, Func<BootBenchmarkSample, double> value)
    {
        w.WriteStartObject(name);
        w.WriteNumber("median", Round(Median(samples, value)));
        w.WriteStartArray("samples");
        foreach (BootBenchmarkSample s in samples)
        {
            w.WriteNumberValue(Round(value(s)));
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static double Round(double seconds) => Math.Round(seconds, 3);
}
