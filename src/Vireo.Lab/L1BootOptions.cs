namespace Vireo.Lab;

/// <summary>How QEMU (TCG, emulating an AMD CPU with SVM and nested paging) boots L1.
/// The defaults are the command in shared/lab/NOTES.md.</summary>
public sealed class L1BootOptions
{
    /// <summary>The host path of the kernel L1 boots.</summary>
    public required string Kernel { get; init; }

    /// <summary>The host path of L1's initramfs, usually from <see cref="L1ImageBuilder"/>.</summary>
    public required string Initramfs { get; init; }

    /// <summary>L1's architecture: which QEMU machine boots it (<see cref="QemuArguments"/>).</summary>
    public LabArchitecture Architecture { get; init; } = LabArchitecture.X64;

    /// <summary>Path or program name of the QEMU that boots L1 (qemu-system-x86_64, or
    /// qemu-system-aarch64 for the arm64 lab).</summary>
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

    /// <summary>When true, L1 gets an emulated IOMMU and QEMU's edu device (<see cref="DeviceAssignmentInL1"/>):
    /// on x86 intel-iommu, with intel_iommu=on for L1's kernel; on arm64 the virt machine's
    /// SMMUv3, which Debian's arm64 kernel drives with no parameter. So a VMM in L1 can own edu
    /// through VFIO. The image needs the vfio modules too (<see cref="LabEnvironment.NewL1Image(bool)"/>).</summary>
    public bool DeviceAssignment { get; init; }

    /// <summary>Arguments appended to QEMU's command line after Vireo's own.</summary>
    public IReadOnlyList<string> ExtraQemuArguments { get; init; } = [];

    /// <summary>When set, L1's kernel console is its second UART (ttyS1), which QEMU writes to
    /// this host file, and ttyS0 carries only /init's command protocol. Kernel warnings (a
    /// kvm-amd WARN, a soft lockup, a hung task) are then kept, with their timestamps, instead
    /// of being silenced so they cannot interleave with the protocol's marker lines.</summary>
    public string? KernelLogPath { get; init; }

    /// <summary>When set, QEMU serves QMP on this Unix socket: <see cref="L1Machine"/> then
    /// watches L1 for the nested-SVM wedge (see <see cref="L1Machine.WedgeLog"/>) and reports
    /// where L1's CPU is when a command times out, without touching the serial console.</summary>
    public string? QmpSocketPath { get; init; }

    /// <summary>How often the watchdog looks at L1's local APIC while a command runs.</summary>
    public TimeSpan WedgeCheckInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The command line L1's kernel gets: <see cref="KernelCommandLine"/> with its
    /// console moved to ttyS1 when <see cref="KernelLogPath"/> is set.</summary>
    public string EffectiveKernelCommandLine()
    {
        string[] words = KernelCommandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (KernelLogPath is not null)
        {
            words = [.. words.Where(w => !w.StartsWith("console=", StringComparison.Ordinal)), "console=ttyS1"];
        }
        if (DeviceAssignment && !words.Any(w => w.StartsWith("intel_iommu=", StringComparison.Ordinal)))
        {
            words = [.. words, DeviceAssignmentInL1.KernelParameter];
        }
        return KernelLogPath is null && !DeviceAssignment ? KernelCommandLine : string.Join(' ', words);
    }

    internal IReadOnlyList<string> QemuArguments() => Architecture == LabArchitecture.Arm64 ? Arm64QemuArguments() :
    [
        .. MachineArguments(DeviceAssignment ? DeviceAssignmentInL1.Machine : "q35", Cpu),
        // Explicit, because a second -serial would otherwise take stdio's place as ttyS0.
        .. (KernelLogPath is null ? (string[])[] : ["-serial", "mon:stdio", "-serial", "file:" + KernelLogPath]),
        .. (QmpSocketPath is null ? (string[])[] : ["-qmp", $"unix:{QmpSocketPath},server=on,wait=off"]),
        .. BootArguments(EffectiveKernelCommandLine(), DeviceAssignment ? DeviceAssignmentInL1.QemuDevices : []),
    ];

    // The virt machine with EL2 for L1's KVM (virtualization=on) and a GICv3, whose system-register
    // interface KVM's vGICv3 needs; -cpu max has every feature TCG emulates (VHE among them).
    // The virt machine has one non-secure UART, so L1's kernel log cannot go to a second one.
    private IReadOnlyList<string> Arm64QemuArguments()
    {
        if (KernelLogPath is not null || QmpSocketPath is not null)
        {
            throw new LabException("the arm64 lab has no kernel log file or QMP watchdog yet");
        }
        return
        [
            .. MachineArguments("virt,virtualization=on,gic-version=3" + (DeviceAssignment ? DeviceAssignmentInL1.Arm64MachineOption : ""), "max"),
            .. BootArguments(KernelCommandLine.Replace("console=ttyS0", "console=ttyAMA0", StringComparison.Ordinal),
                DeviceAssignment ? DeviceAssignmentInL1.Arm64QemuDevices : []),
        ];
    }

    // Both architectures start alike (TCG, the machine and CPU, L1's size, no display) and end
    // alike (what L1 boots, the machine's devices, then ExtraQemuArguments); only x86's serial
    // ports and QMP socket come between.
    private string[] MachineArguments(string machine, string cpu) =>
    [
        "-accel", "tcg",
        "-M", machine,
        "-cpu", cpu,
        "-smp", Cpus.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "-m", MemoryMiB.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "-nographic",
        // L1 needs no network, and the default NIC's option ROM (efi-virtio.rom, efi-e1000.rom)
        // is in ipxe-qemu, which the lab's --no-install-recommends QEMU does not pull in.
        "-nic", "none",
    ];

    private string[] BootArguments(string kernelCommandLine, IReadOnlyList<string> devices) =>
    [
        "-no-reboot",
        "-kernel", Kernel,
        "-initrd", Initramfs,
        "-append", kernelCommandLine,
        .. devices,
        .. ExtraQemuArguments,
    ];
}
