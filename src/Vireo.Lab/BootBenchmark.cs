using System.Globalization;

namespace Vireo.Lab;

/// <summary>
/// Boots the default guest's kernel and initramfs to the same marker with Vireo and with QEMU
/// (-M microvm -enable-kvm -cpu host), both on L1's kvm-amd in one L1 boot, alternating, and
/// times each run inside L1. Both get the same kernel command line, memory and vCPU count;
/// the guest prints a marker with its own uptime and reboots, which ends either VMM.
/// </summary>
public static class BootBenchmark
{
    /// <summary>Where <see cref="AddQemu"/> puts QEMU in L1: the Debian layout, so QEMU's own
    /// default data directory (&lt;bin&gt;/../share/qemu) is right even without -L.</summary>
    public const string QemuInL1 = "/usr/bin/qemu-system-x86_64";

    /// <summary>Where the benchmark puts QEMU's data files (firmware, option ROMs) inside L1: the default data directory of <see cref="QemuInL1"/>.</summary>
    public const string QemuDataInL1 = "/usr/share/qemu";

    /// <summary>The guest command line both VMMs get: Vireo's default with reboot=t. microvm's
    /// isa-serial is the 8250 at 0x3f8 that ttyS0 names on Vireo too. reboot=k does not end a
    /// microvm: it has no i8042, Linux falls back to a real-mode BIOS restart that KVM cannot
    /// emulate, and QEMU stops with "KVM internal error" and waits forever. A triple fault ends
    /// both VMMs at once (QEMU because of -no-reboot).</summary>
    public const string KernelCommandLine = "console=ttyS0 reboot=t panic=-1";

    /// <summary>QEMU's machine options (besides memory, CPUs, kernel and command line).</summary>
    public const string QemuMachineArguments = "-M microvm -enable-kvm -cpu host -nodefaults -no-user-config -display none -serial stdio -no-reboot";

    // What -M microvm with -kernel loads from the data directory (strace on Debian's QEMU 7.2:
    // the qboot firmware and the fw_cfg DMA Linux loader ROM); kvmvapic.bin in case a KVM set-up
    // asks for it. All a few KiB. -M q35 (the device benchmark's QEMU, DeviceBenchmark) boots
    // SeaBIOS, bios-256k.bin, which Debian ships in the seabios package's directory.
    private static readonly BootBenchmarkVmm[] s_order = [BootBenchmarkVmm.Vireo, BootBenchmarkVmm.Qemu];

    private static readonly string[] s_qemuDataFiles = ["bios-microvm.bin", "linuxboot_dma.bin", "kvmvapic.bin", "bios-256k.bin"];

    /// <summary>Adds Debian's qemu-system-x86_64 at <see cref="QemuInL1"/> with the libraries it
    /// links and the data files -M microvm loads at <see cref="QemuDataInL1"/>.</summary>
    public static void AddQemu(L1ImageBuilder image, string qemu)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentException.ThrowIfNullOrEmpty(qemu);
        string hostData = QemuDataDirectory(qemu);
        image.AddProgram(qemu, QemuInL1);
        foreach (string name in s_qemuDataFiles)
        {
            string file = Path.Combine(hostData, name);
            if (!File.Exists(file) && File.Exists(Path.Combine(SeabiosDirectory, name)))
            {
                file = Path.Combine(SeabiosDirectory, name);
            }
            if (!File.Exists(file))
            {
                throw new LabException($"QEMU's {name} is missing from {hostData}; reinstall qemu-system-x86 (and qemu-system-data, seabios)");
            }
            // AddFile reads through symlinks (bios-microvm.bin -> qboot.rom): L1 gets the bytes.
            image.AddFile(file, $"{QemuDataInL1}/{name}", mode: 0x1A4); // 0644
        }
    }

    /// <summary>The rounds on a running L1 that has vireo, QEMU (<see cref="AddQemu"/>), the
    /// kernel and the initramfs at the paths in <paramref name="options"/>. Throws
    /// <see cref="LabException"/> naming the VMM and round when a run misses the marker.</summary>
    public static async Task<BootBenchmarkResult> RunAsync(
        L1Machine machine,
        BootBenchmarkOptions? options = null,
        TextWriter? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(machine);
        options ??= new BootBenchmarkOptions();
        options.Validate();
        await CheckFilesAsync(machine, options, cancellationToken).ConfigureAwait(false);

        var vireo = new List<BootBenchmarkSample>();
        var qemu = new List<BootBenchmarkSample>();
        for (int round = 1; round <= options.Rounds; round++)
        {
            foreach (BootBenchmarkVmm vmm in s_order)
            {
                BootBenchmarkSample sample = await RunOnceAsync(machine, vmm, round, options, cancellationToken).ConfigureAwait(false);
                progress?.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"vireo: round {round}/{options.Rounds} {BootBenchmarkScript.Name(vmm)}: marker at {sample.ToMarkerSeconds:0.00} s " +
                    $"(guest uptime {sample.GuestUptimeAtMarkerSeconds:0.00} s), exit at {sample.ToExitSeconds:0.00} s"));
                (vmm == BootBenchmarkVmm.Vireo ? vireo : qemu).Add(sample);
            }
        }
        return new BootBenchmarkResult(vireo, qemu, KernelCommandLine, QemuMachineArguments, options.MemoryMiB, options.Cpus);
    }

    /// <summary>Everything in one go, as `vireo lab bench boot` does: prepares the lab, builds an
    /// L1 image with <paramref name="vireo"/> (a NativeAOT build), QEMU and the default guest,
    /// boots it, runs the rounds and powers L1 off.</summary>
    public static async Task<BootBenchmarkResult> RunInNewLabAsync(
        string vireo,
        BootBenchmarkOptions? options = null,
        TextWriter? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(vireo);
        options ??= new BootBenchmarkOptions();
        options.Validate();
        return await BenchmarkLab.RunInNewL1Async(vireo, options.VireoInL1, options.KernelInL1,
            (image, _, guest) => image.AddFile(guest.Initramfs, options.InitramfsInL1),
            async machine =>
            {
                BootBenchmarkResult result = await RunAsync(machine, options, progress, cancellationToken).ConfigureAwait(false);
                result.L1BootTime = machine.BootTime;
                return result;
            },
            progress, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The command line of one VMM run inside L1 (without the timing around it).</summary>
    public static string VmmCommand(BootBenchmarkVmm vmm, BootBenchmarkOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        string cmdline = $"{KernelCommandLine} {DefaultGuest.ScriptArgument(BootBenchmarkScript.GuestScript)}";
        var c = CultureInfo.InvariantCulture;
        return vmm switch
        {
            BootBenchmarkVmm.Vireo => string.Create(c,
                $"{options.VireoInL1} run --kernel {options.KernelInL1} --initramfs {options.InitramfsInL1} " +
                $"--cpus {options.Cpus} --memory {options.MemoryMiB}M --cmdline '{cmdline}'"),
            _ => string.Create(c,
                $"{QemuInL1} {QemuMachineArguments} -L {QemuDataInL1} -smp {options.Cpus} -m {options.MemoryMiB} " +
                $"-kernel {options.KernelInL1} -initrd {options.InitramfsInL1} -append '{cmdline}'"),
        };
    }

    private static async Task<BootBenchmarkSample> RunOnceAsync(
        L1Machine machine, BootBenchmarkVmm vmm, int round, BootBenchmarkOptions options, CancellationToken cancellationToken)
    {
        string log = BootBenchmarkScript.LogPath(vmm, round);
        string command = BootBenchmarkScript.TimedRun(VmmCommand(vmm, options), log, options.RunTimeout);
        string what = string.Create(CultureInfo.InvariantCulture, $"{BootBenchmarkScript.Name(vmm)} (round {round})");
        LabCommandResult result;
        try
        {
            // The VMM is killed inside L1 at RunTimeout; the extra minute is for L1 itself.
            result = await machine.RunAsync(command, options.RunTimeout + TimeSpan.FromMinutes(1), cancellationToken).ConfigureAwait(false);
        }
        catch (LabTimeoutException e)
        {
            throw new LabException(string.Create(CultureInfo.InvariantCulture,
                $"boot benchmark: {what} did not end within {options.RunTimeout.TotalSeconds:0} s even though L1 kills it then (a VMM stuck in the kernel, or L1 hung); L1 was stopped\n{e.Message}"), e);
        }
        BootBenchmarkRunOutput run = BootBenchmarkScript.Parse(result.Output);
        if (run.ToMarkerSeconds is not { } marker || run.GuestUptimeAtMarkerSeconds is not { } uptime)
        {
            string ending = run.ExitStatus is { } status
                ? string.Create(CultureInfo.InvariantCulture, $"it exited with status {status}{(status == 137 ? " (killed at the timeout)" : "")} after {run.ToExitSeconds:0.00} s")
                : "its timing shell printed no exit line";
            throw new LabException($"boot benchmark: {what} never printed the guest marker; {ending}\n{await DiagnosticsAsync(machine, run, log).ConfigureAwait(false)}");
        }
        if (run.ExitStatus is not 0 || run.ToExitSeconds is not { } exit)
        {
            throw new LabException(string.Create(CultureInfo.InvariantCulture,
                $"boot benchmark: {what} reached the marker at {marker:0.00} s but then exited with status {run.ExitStatus?.ToString(CultureInfo.InvariantCulture) ?? "(none)"}") +
                $"{(run.ExitStatus == 137 ? " (killed at the timeout)" : "")}\n" +
                await DiagnosticsAsync(machine, run, log).ConfigureAwait(false));
        }
        return new BootBenchmarkSample(vmm, round, marker, exit, uptime);
    }

    private static async Task<string> DiagnosticsAsync(L1Machine machine, BootBenchmarkRunOutput run, string log)
    {
        string text = "";
        if (run.OtherLines.Count > 0)
        {
            text += "--- L1 shell output ---\n" + string.Join('\n', run.OtherLines) + "\n";
        }
        LabCommandResult tail = await machine.RunAsync($"tail -n 40 {log}", TimeSpan.FromMinutes(1)).ConfigureAwait(false);
        return text + $"--- last lines of the VMM's output ({log} in L1) ---\n{tail.Output}";
    }

    private static Task CheckFilesAsync(L1Machine machine, BootBenchmarkOptions options, CancellationToken cancellationToken) =>
        BenchmarkLab.RequireFilesAsync(machine,
            [options.VireoInL1, QemuInL1, options.KernelInL1, options.InitramfsInL1, $"{QemuDataInL1}/{s_qemuDataFiles[0]}", "/dev/kvm"],
            "boot benchmark", "the L1 image needs vireo, BootBenchmark.AddQemu, the kernel and initramfs; /dev/kvm needs kvm-amd", cancellationToken);

    private const string SeabiosDirectory = "/usr/share/seabios";

    private static string QemuDataDirectory(string qemu)
    {
        // QEMU's own first guess is <directory of the binary>/../share/qemu.
        string? bin = Path.GetDirectoryName(Path.GetFullPath(qemu));
        string beside = bin is null ? "" : Path.GetFullPath(Path.Combine(bin, "..", "share", "qemu"));
        return Directory.Exists(beside) ? beside : "/usr/share/qemu";
    }
}
