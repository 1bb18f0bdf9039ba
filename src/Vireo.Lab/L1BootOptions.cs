namespace Vireo.Lab;

/// <summary>How QEMU (TCG, emulating an AMD CPU with SVM and nested paging) boots L1.
/// The defaults are the command in shared/lab/NOTES.md.</summary>
public sealed class L1BootOptions
{
    /// <summary>The host path of the kernel L1 boots.</summary>
    public required string Kernel { get; init; }

    /// <summary>The host path of L1's initramfs, usually from <see cref="L1ImageBuilder"/>.</summary>
    public required string Initramfs { get; init; }

    /// <summary>Path or program name of qemu-system-x86_64.</summary>
    public string Qemu { get; init; } = "qemu-system-x86_64";

    /// <summary>TCG emulates SVM with NPT but not VMX, so the lab is AMD-only.</summary>
    public string Cpu { get; init; } = "EPYC,+svm,+npt";

    /// <summary>L1's vCPUs.</summary>
    public int Cpus { get; init; } = 1;

    /// <summary>L1's memory in MiB; it must hold the initramfs unpacked and the L2 guest.</summary>
    public int MemoryMiB { get; init; } = 1536;

    /// <summary>L1's kernel command line.</summary>
    public string KernelCommandLine { get; init; } = "console=ttyS0 panic=-1 quiet";

    /// <summary>Until /init reports ready: about 5 s on an idle development machine, far more on
    /// a loaded two-core CI runner.</summary>
    public TimeSpan BootTimeout { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>Each command's limit unless <see cref="L1Machine.RunAsync"/> is given one.</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Receives every serial console line as it arrives (from a background thread),
    /// e.g. stderr for a CLI that shows the boot.</summary>
    public TextWriter? ConsoleEcho { get; init; }

    /// <summary>Arguments appended to QEMU's command line after Vireo's own.</summary>
    public IReadOnlyList<string> ExtraQemuArguments { get; init; } = [];

    internal IReadOnlyList<string> QemuArguments() =>
    [
        "-accel", "tcg",
        "-M", "q35",
        "-cpu", Cpu,
        "-smp", Cpus.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "-m", MemoryMiB.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "-nographic",
        "-no-reboot",
        "-kernel", Kernel,
        "-initrd", Initramfs,
        "-append", KernelCommandLine,
        .. ExtraQemuArguments,
    ];
}
