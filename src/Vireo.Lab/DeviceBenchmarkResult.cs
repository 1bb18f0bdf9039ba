using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Vireo.Lab;

/// <summary>Both VMMs' device runs from one L1 boot. Absolute figures are dominated by
/// emulation (TCG under L1); the ratios of the medians are the figures to compare.</summary>
public sealed class DeviceBenchmarkResult
{
    /// <summary>The issue's goal: Vireo's throughput at least QEMU's in every phase.</summary>
    public const double Goal = 1.0;

    /// <summary>Collects one benchmark run's samples.</summary>
    /// <exception cref="ArgumentException">Either list is empty.</exception>
    public DeviceBenchmarkResult(IReadOnlyList<DeviceBenchmarkSample> vireo, IReadOnlyList<DeviceBenchmarkSample> qemu, DeviceBenchmarkOptions options)
    {
        ArgumentNullException.ThrowIfNull(vireo);
        ArgumentNullException.ThrowIfNull(qemu);
        ArgumentNullException.ThrowIfNull(options);
        if (vireo.Count == 0 || qemu.Count == 0)
        {
            throw new ArgumentException("both VMMs need at least one sample");
        }
        Vireo = vireo;
        Qemu = qemu;
        Options = options;
    }

    /// <summary>Vireo's runs, in the order they ran.</summary>
    public IReadOnlyList<DeviceBenchmarkSample> Vireo { get; }

    /// <summary>QEMU's runs, in the order they ran.</summary>
    public IReadOnlyList<DeviceBenchmarkSample> Qemu { get; }

    /// <summary>How it ran.</summary>
    public DeviceBenchmarkOptions Options { get; }

    /// <summary>Median requests per second of <paramref name="phase"/>, Vireo over QEMU (higher is better).</summary>
    public double ThroughputRatio(string phase) =>
        Median(Vireo, phase, p => p.RequestsPerSecond) / Median(Qemu, phase, p => p.RequestsPerSecond);

    /// <summary>Median VMM CPU time per request of <paramref name="phase"/>, Vireo over QEMU (lower
    /// is better); NaN when QEMU's was too small to measure.</summary>
    public double CpuRatio(string phase)
    {
        double qemu = Median(Qemu, phase, p => p.VmmCpuMicrosecondsPerRequest);
        return qemu > 0 ? Median(Vireo, phase, p => p.VmmCpuMicrosecondsPerRequest) / qemu : double.NaN;
    }

    /// <summary>Whether every phase's <see cref="ThroughputRatio"/> is at least <see cref="Goal"/>.</summary>
    public bool MeetsGoal => DeviceBenchmark.Phases.All(p => ThroughputRatio(p) >= Goal);

    /// <summary>The median of <paramref name="value"/> of <paramref name="phase"/> over <paramref name="samples"/>.</summary>
    public static double Median(IReadOnlyList<DeviceBenchmarkSample> samples, string phase, Func<DeviceBenchmarkPhase, double> value)
    {
        ArgumentNullException.ThrowIfNull(samples);
        return BenchmarkStatistics.Median(samples.Select(s => value(s.Phase(phase))));
    }

    /// <summary>The result as one JSON object: settings, per-VMM medians and samples per phase, and the ratios.</summary>
    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("benchmark", "devices");
            w.WriteNumber("rounds", Math.Max(Vireo.Count, Qemu.Count));
            w.WriteNumber("phaseSeconds", Options.PhaseSeconds);
            w.WriteNumber("memoryMiB", Options.MemoryMiB);
            w.WriteNumber("diskMiB", Options.DiskMiB);
            w.WriteString("kernelCommandLine", DeviceBenchmark.KernelCommandLine);
            w.WriteString("qemuArguments", DeviceBenchmark.QemuMachineArguments);
            w.WriteStartObject("phases");
            foreach (string phase in DeviceBenchmark.Phases)
            {
                w.WriteStartObject(phase);
                foreach ((string name, IReadOnlyList<DeviceBenchmarkSample> samples) in (ReadOnlySpan<(string, IReadOnlyList<DeviceBenchmarkSample>)>)[("vireo", Vireo), ("qemu", Qemu)])
                {
                    w.WriteStartObject(name);
                    WriteMeasure(w, "requestsPerSecond", samples, phase, p => p.RequestsPerSecond);
                    WriteMeasure(w, "mibPerSecond", samples, phase, p => p.MiBPerSecond);
                    WriteMeasure(w, "vmmCpuMicrosecondsPerRequest", samples, phase, p => p.VmmCpuMicrosecondsPerRequest);
                    w.WriteEndObject();
                }
                w.WriteNumber("throughputRatio", Math.Round(ThroughputRatio(phase), 3));
                double cpu = CpuRatio(phase);
                if (double.IsFinite(cpu))
                {
                    w.WriteNumber("cpuRatio", Math.Round(cpu, 3));
                }
                else
                {
                    w.WriteNull("cpuRatio");
                }
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WriteNumber("goal", Goal);
            w.WriteBoolean("meetsGoal", MeetsGoal);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>A table for people: per phase, each VMM's medians and the ratios.</summary>
    public string ToTable()
    {
        var t = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        t.Append(c, $"device benchmark: {Math.Max(Vireo.Count, Qemu.Count)} round(s) of {Options.PhaseSeconds} s phases, 1 vCPU, {Options.MemoryMiB} MiB, " +
            $"a {Options.DiskMiB} MiB raw image and a tap, inside one L1 (QEMU TCG, nested kvm-amd)\n");
        t.Append(c, $"qemu: {DeviceBenchmark.QemuMachineArguments}, virtio-blk-pci (cache=writeback, aio=threads), virtio-net-pci (tap, vnet_hdr, no vhost)\n\n");
        t.Append(c, $"{"phase",-13} {"vmm",-6} {"req/s",10} {"MiB/s",9} {"VMM CPU us/req",15}\n");
        foreach (string phase in DeviceBenchmark.Phases)
        {
            foreach ((string name, IReadOnlyList<DeviceBenchmarkSample> samples) in (ReadOnlySpan<(string, IReadOnlyList<DeviceBenchmarkSample>)>)[("vireo", Vireo), ("qemu", Qemu)])
            {
                t.Append(c, $"{phase,-13} {name,-6} {Median(samples, phase, p => p.RequestsPerSecond),10:0} {Median(samples, phase, p => p.MiBPerSecond),9:0.0} " +
                    $"{Median(samples, phase, p => p.VmmCpuMicrosecondsPerRequest),15:0}   (median of {samples.Count})\n");
            }
            double cpu = CpuRatio(phase);
            t.Append(c, $"{phase,-13} vireo/qemu throughput {ThroughputRatio(phase):0.000} (goal >= {Goal:0.0}), VMM CPU per request {(double.IsFinite(cpu) ? cpu.ToString("0.000", c) : "n/a")}\n\n");
        }
        t.Append(c, $"goal (every phase's throughput ratio >= {Goal:0.0}): {(MeetsGoal ? "met" : "not met")}\n");
        return t.ToString();
    }

    private static void WriteMeasure(Utf8JsonWriter w, string name, IReadOnlyList<DeviceBenchmarkSample> samples, string phase, Func<DeviceBenchmarkPhase, double> value)
    {
        w.WriteStartObject(name);
        w.WriteNumber("median", Math.Round(Median(samples, phase, value), 3));
        w.WriteStartArray("samples");
        foreach (DeviceBenchmarkSample s in samples)
        {
            w.WriteNumberValue(Math.Round(value(s.Phase(phase)), 3));
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }
}
