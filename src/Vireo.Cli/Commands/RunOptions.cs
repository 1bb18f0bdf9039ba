using System.CommandLine;
using Vireo.Cli.Common;
using Vireo.Vmm;

namespace Vireo.Cli;

/// <summary>The flags of `vireo run`.</summary>
internal sealed record RunOptions
{
    public const ulong DefaultMemory = 512UL << 20;

    public string? Kernel { get; init; }

    public string? Initramfs { get; init; }

    /// <summary>--restore: the snapshot directory to continue instead of booting.</summary>
    public string? Restore { get; init; }

    public string? Cmdline { get; init; }

    public string? AppendCmdline { get; init; }

    public int Cpus { get; init; } = 1;

    public ulong MemoryBytes { get; init; } = DefaultMemory;

    /// <summary>memfd-backed RAM that device processes can map, instead of private huge pages.</summary>
    public bool SharedMemory { get; init; }

    /// <summary>Print the VMM's footprint when the VM ends (--footprint).</summary>
    public bool Footprint { get; init; }

    public SerialTarget Serial { get; init; } = SerialTarget.Stdio;

    public string? ApiSocket { get; init; }

    public TimeSpan? S2IdleWakeAfter { get; init; }

    public string? OnSuspend { get; init; }

    public string? OnResume { get; init; }

    /// <summary>--seccomp: what a forbidden syscall meets once the VMM is confined.</summary>
    public ConfinementMode Seccomp { get; init; } = ConfinementMode.Errno;

    /// <summary>--user: who the process becomes once set up (USER[:GROUP], resolved where it runs); null to stay.</summary>
    public string? User { get; init; }

    /// <summary>Firecracker's convention by default: a guest reboot ends the run.</summary>
    public bool RestartOnReboot { get; init; }

    /// <summary>The vfio-user devices to assign, in the order given.</summary>
    public IReadOnlyList<VfioUserDeviceOption> VfioUserDevices { get; init; } = [];

    /// <summary>The host devices to assign through the kernel's VFIO, in the order given.</summary>
    public IReadOnlyList<VfioDeviceOption> VfioDevices { get; init; } = [];

    /// <summary>The device agent the --vfio devices come from, or null to open them here.</summary>
    public AgentOption? Agent { get; init; }

    /// <summary>The raw images the guest gets as virtio block disks, in the order given.</summary>
    public IReadOnlyList<DiskOption> Disks { get; init; } = [];

    /// <summary>The virtio network devices, in the order given (--net).</summary>
    public IReadOnlyList<NetOption> Nets { get; init; } = [];

    /// <summary>The virtio socket device, or null (--vsock).</summary>
    public VsockOption? Vsock { get; init; }

    /// <summary>Whether the guest gets a virtio entropy device (--rng).</summary>
    public bool Rng { get; init; }

    /// <summary>The guest device the console (--serial's target) is: COM1's 8250 or a virtio console (--console).</summary>
    public ConsoleDevice Console { get; init; } = ConsoleDevice.Serial;

    /// <summary>The kernel command line used when --cmdline is not given: the default's console
    /// is the device --console chose.</summary>
    public string DefaultCmdline => Console == ConsoleDevice.Virtio
        ? LinuxVmConfig.DefaultCmdline.Replace("console=ttyS0", "console=hvc0", StringComparison.Ordinal)
        : LinuxVmConfig.DefaultCmdline;

    /// <summary>Run options alone, as words.</summary>
    public static RunOptions Parse(IReadOnlyList<string> args)
    {
        var set = new RunOptionSet();
        var command = new Command("run");
        set.AddTo(command);
        ParseResult result = command.Parse(args, CliRunner.Parsing);
        if (result.Errors.Count > 0)
        {
            throw new UsageException(CommandLineErrors.Describe(result));
        }
        if (CommandLineErrors.Duplicate(result.CommandResult) is string duplicate)
        {
            throw new UsageException(CommandLineErrors.Format(["run"], duplicate));
        }
        return set.Bind(result);
    }

    public LinuxVmConfig ToConfig(string kernel, string? initramfs, IReadOnlyList<PciAttachment>? pciFunctions = null) => new()
    {
        PciFunctions = pciFunctions ?? [],
        KernelPath = kernel,
        InitramfsPath = initramfs,
        Cmdline = (Cmdline ?? DefaultCmdline) + (AppendCmdline is null ? "" : " " + AppendCmdline),
        Cpus = Cpus,
        MemoryBytes = MemoryBytes,
        MemoryBacking = SharedMemory ? Vireo.Memory.GuestMemoryBacking.Shared : Vireo.Memory.GuestMemoryBacking.Private,
    };

    /// <summary>The same options as command-line words, minus kernel/initramfs/serial, for
    /// forwarding into the lab.</summary>
    public IEnumerable<string> ForwardedArguments()
    {
        if (Cmdline is not null)
        {
            yield return "--cmdline";
            yield return Cmdline;
        }
        if (AppendCmdline is not null)
        {
            yield return "--append";
            yield return AppendCmdline;
        }
        yield return "--cpus";
        yield return Cpus.ToString(System.Globalization.CultureInfo.InvariantCulture);
        yield return "--memory";
        yield return $"{MemoryBytes >> 20}M";
        if (SharedMemory)
        {
            yield return "--shared-memory";
        }
        if (S2IdleWakeAfter is TimeSpan after)
        {
            yield return "--s2idle-wake-after";
            yield return $"{after.TotalMilliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}ms";
        }
        if (RestartOnReboot)
        {
            yield return "--on-reboot";
            yield return "restart";
        }
        // The hooks run where that vireo runs: inside L1, as the guest's host there.
        if (OnSuspend is not null)
        {
            yield return "--on-suspend";
            yield return OnSuspend;
        }
        if (OnResume is not null)
        {
            yield return "--on-resume";
            yield return OnResume;
        }
        if (Seccomp != ConfinementMode.Errno)
        {
            yield return "--seccomp";
            yield return Seccomp.ToString().ToLowerInvariant();
        }
        if (User is not null)
        {
            yield return "--user";
            yield return User;
        }
    }
}
