using System.Globalization;

namespace Vireo.Lab;

/// <summary>What the lab benchmarks (<see cref="BootBenchmark"/>, <see cref="DeviceBenchmark"/>)
/// share: an L1 of their own with vireo, QEMU and the default guest's kernel, and the check that
/// a running L1 has what a benchmark needs.</summary>
internal static class BenchmarkLab
{
    /// <summary>Prepares the lab, builds an L1 image with <paramref name="vireo"/> at
    /// <paramref name="vireoInL1"/>, QEMU (<see cref="BootBenchmark.AddQemu"/>), the default
    /// guest's kernel at <paramref name="kernelInL1"/> and what <paramref name="add"/> adds, boots
    /// it, runs <paramref name="run"/> on it and powers it off.</summary>
    public static async Task<T> RunInNewL1Async<T>(
        string vireo, string vireoInL1, string kernelInL1,
        Action<L1ImageBuilder, LabEnvironment, DefaultGuest> add,
        Func<L1Machine, Task<T>> run,
        TextWriter? progress, CancellationToken cancellationToken)
    {
        LabEnvironment lab = LabEnvironment.Prepare(progress: progress);
        DefaultGuest guest = DefaultGuest.Prepare(lab.Cache, progress);
        string temp = Directory.CreateTempSubdirectory("vireo-bench-").FullName;
        try
        {
            L1ImageBuilder image = lab.NewL1Image();
            image.AddProgram(vireo, vireoInL1);
            BootBenchmark.AddQemu(image, lab.Qemu);
            image.AddFile(guest.Kernel, kernelInL1);
            add(image, lab, guest);
            string l1 = image.WriteTo(Path.Combine(temp, "l1.cpio.gz"));

            progress?.WriteLine("vireo: booting the lab (L1) under QEMU TCG...");
            await using L1Machine machine = await L1Machine.BootAsync(lab.BootOptions(l1), cancellationToken).ConfigureAwait(false);
            progress?.WriteLine(string.Create(CultureInfo.InvariantCulture, $"vireo: L1 ready in {machine.BootTime.TotalSeconds:0.0} s"));
            T result = await run(machine).ConfigureAwait(false);
            await machine.ShutdownAsync().ConfigureAwait(false);
            return result;
        }
        finally
        {
            Directory.Delete(temp, recursive: true);
        }
    }

    /// <summary>Throws <see cref="LabException"/> naming every one of <paramref name="files"/>
    /// that L1 lacks, with <paramref name="hint"/> on what puts them there. The benchmark's name
    /// (<paramref name="benchmark"/>, "boot benchmark") starts the message.</summary>
    public static async Task RequireFilesAsync(L1Machine machine, IEnumerable<string> files, string benchmark, string hint, CancellationToken cancellationToken)
    {
        string check = string.Join("; ", files.Select(f => $"[ -e {f} ] || echo \"missing: {f}\""));
        LabCommandResult result = await machine.RunAsync(check, TimeSpan.FromMinutes(1), cancellationToken).ConfigureAwait(false);
        if (result.Output.Trim().Length > 0)
        {
            throw new LabException($"{benchmark}: L1 lacks what the benchmark needs:\n{result.Output.Trim()}\n({hint})");
        }
    }
}
