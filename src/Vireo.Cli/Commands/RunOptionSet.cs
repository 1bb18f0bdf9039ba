using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Vireo.Cli.Common;
using Vireo.Vmm;

namespace Vireo.Cli;

/// <summary>The options of `vireo run` as one parser's symbols, shared by `vireo run`, `vireo
/// acpi dump` (the machine's shape only) and `vireo lab run` (which forwards them).</summary>
internal sealed class RunOptionSet
{
    public const ulong MinMemory = 16UL << 20;

    public const ulong MaxMemory = 1UL << 40;

    public Option<string?> Kernel { get; } = new("--kernel")
    {
        HelpName = "K",
        Description = "bzImage to boot (e.g. /boot/vmlinuz-*); required (tools/run-default-guest.sh boots a ready-made guest)",
    };

    public Option<string?> Initramfs { get; } = new("--initramfs")
    {
        HelpName = "I",
        Description = "initramfs (cpio, optionally compressed) to pass to it; needs --kernel",
    };

    public Option<string?> Restore { get; } = new("--restore")
    {
        HelpName = "DIR",
        Description = "continue the VM of the snapshot in DIR (`vireo remote snapshot DIR`, arm64) instead of booting: " +
            "its kernel, initramfs, command line, vCPUs and memory come from the snapshot (a reboot boots that kernel); " +
            "give the same --disk, --net, --rng and --console options as the snapshotted VM (the images may have moved)",
    };

    public Option<string?> Cmdline { get; } = new("--cmdline")
    {
        HelpName = "C",
        Description = $"kernel command line (default: \"{LinuxVmConfig.DefaultCmdline}\", with console=hvc0 under --console virtio)",
    };

    public Option<string?> Append { get; } = new("--append")
    {
        HelpName = "A",
        Description = "words added to the command line",
    };

    public Option<long> Cpus { get; } = new("--cpus")
    {
        HelpName = "N",
        Description = "vCPUs, 1 to 254 (default 1)",
        CustomParser = NumberParser.Range(1, 254),
    };

    public Option<ulong> Memory { get; } = new("--memory")
    {
        HelpName = "SIZE",
        Description = "guest RAM, e.g. 512M, 2G or 1T (default 512M): private memory with transparent huge " +
            "pages, so KVM maps it 2 MiB at a time",
        CustomParser = ParseMemory,
    };

    public Option<bool> SharedMemory { get; } = new("--shared-memory")
    {
        Description = "back guest RAM with a memfd that device processes (vfio-user servers) can map; " +
            "4 KiB pages unless the host enables shmem THP",
    };

    public Option<bool> Footprint { get; } = new("--footprint")
    {
        Description = "when the VM ends, print what Vireo itself cost: CPU time from process start to the first guest " +
            "instruction, and resident memory net of guest RAM then and at the end",
    };

    public Option<SerialTarget> Serial { get; } = new("--serial")
    {
        HelpName = "stdio|file=PATH|socket=PATH",
        Description = "where COM1 goes: stdio (default), a file, or a UNIX socket (the client that connects " +
            "gets the console)",
        CustomParser = result => SerialTarget.TryParse(Last(result)) ?? Fail<SerialTarget>(result,
            $"--serial takes stdio, file=PATH or socket=PATH, not '{Last(result)}'", SerialTarget.Stdio),
    };

    public Option<string?> ApiSocket { get; } = new("--api-socket")
    {
        HelpName = "P",
        Description = "serve the management API (HTTP) on the UNIX socket P; drive it with `vireo remote " +
            "--api-socket P info|ping|pause|resume|power-button|shutdown [--force]|gpe N|wake|events|openapi`",
    };

    public Option<string?> OnReboot { get; } = new("--on-reboot")
    {
        HelpName = "exit|restart",
        Description = "exit (default: a guest reboot ends the run with status 0) or restart (boot the " +
            "guest again, as a real machine does)",
        CustomParser = result => Last(result) is "exit" or "restart"
            ? Last(result)
            : Fail<string?>(result, $"--on-reboot takes exit or restart, not '{Last(result)}'", null),
    };

    public Option<TimeSpan?> S2IdleWakeAfter { get; } = new("--s2idle-wake-after")
    {
        HelpName = "D",
        Description = "when the guest suspends to idle, wake it after D (e.g. 500ms, 2s); otherwise it " +
            "sleeps until `vireo remote wake`, the power button, or a key on the console; 0 wakes it at " +
            "its entry trap, before it is suspended (the guest's suspend is cut short: no `suspended` event)",
        CustomParser = ParseDuration,
    };

    public Option<string?> OnSuspend { get; } = new("--on-suspend")
    {
        HelpName = "CMD",
        Description = "run CMD (with /bin/sh) when the guest is suspended, its vCPUs parked (e.g. to " +
            "suspend the host); CMD gets VIREO_EVENT=suspended and VIREO_CYCLE",
    };

    public Option<string?> OnResume { get; } = new("--on-resume")
    {
        HelpName = "CMD",
        Description = "run CMD (with /bin/sh) when the guest has resumed; CMD gets VIREO_EVENT=resumed " +
            "and VIREO_CYCLE",
    };

    public Option<ConfinementMode> Seccomp { get; } = new("--seccomp")
    {
        HelpName = "errno|kill|log|off",
        Description = "once set up, Vireo drops its capabilities, sets no_new_privs and confines every thread with a seccomp " +
            "allowlist for its kind (vCPU, device, control; the rest a process-wide baseline). A syscall outside it: errno " +
            "(default) fails with EPERM, kill kills the process with SIGSYS (as Firecracker does), log allows and logs it " +
            "to the kernel's audit log, off installs no filter (privileges are still dropped). The filters carry x86-64 or " +
            "arm64 syscall numbers, as the host runs; on another architecture only off works. See docs/confinement.md",
        CustomParser = result => Last(result) switch
        {
            "errno" => ConfinementMode.Errno,
            "kill" => ConfinementMode.Kill,
            "log" => ConfinementMode.Log,
            "off" => ConfinementMode.Off,
            _ => Fail(result, $"--seccomp takes errno, kill, log or off, not '{Last(result)}'", ConfinementMode.Errno),
        },
    };

    public Option<string?> User { get; } = new("--user")
    {
        HelpName = "USER[:GROUP]",
        Description = "once set up (KVM, devices, taps and sockets open), switch the whole process to USER (a name or a " +
            "number) and GROUP (default: USER's primary group) for good: every thread, the runtime's own included, loses " +
            "root's capabilities. Needs vireo started as root; not with --vfio (its pinned DMA maps need CAP_IPC_LOCK: " +
            "use --agent and start vireo as that user instead)",
    };

    public Option<IReadOnlyList<VfioUserDeviceOption>> VfioUser { get; } = new("--vfio-user")
    {
        HelpName = VfioUserDeviceOption.Syntax,
        Description = "assign the PCI device a vfio-user server (vireo-device, libvfio-user, SPDK, ...) serves on the UNIX " +
            "socket SOCKET; repeatable, one device each. id=NAME names it in `vireo remote devices` and events (default " +
            "vfio-user0, vfio-user1, ... by position); slot=N puts it in PCI slot N, 1 to 31 (default: the lowest free). " +
            "Guest RAM becomes a shared memfd by itself when a device needs to reach it",
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
        CustomParser = ParseVfioUser,
    };

    public Option<IReadOnlyList<VfioDeviceOption>> Vfio { get; } = new("--vfio")
    {
        HelpName = VfioDeviceOption.Syntax,
        Description = "assign the host's PCI device DEVICE (an address such as 0000:01:00.0, or its sysfs path) through " +
            "the kernel's VFIO; repeatable. Every device of its IOMMU group must be bound to vfio-pci, pci-stub or no " +
            "driver (bridges aside). backend= picks iommufd (/dev/iommu, Linux 6.2+) or the group API (/dev/vfio/N); " +
            "auto (the default) prefers iommufd and says which. id=NAME (default vfio0, vfio1, ...) and slot=N as for " +
            "--vfio-user. Needs access to those device nodes and a memory-lock limit (ulimit -l) of guest RAM, or --agent",
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
        CustomParser = ParseVfio,
    };

    public Option<IReadOnlyList<DiskOption>> Disk { get; } = new("--disk")
    {
        HelpName = DiskOption.Syntax,
        Description = "give the guest the raw image FILE as a virtio block disk (Linux's virtio_blk: /dev/vda, /dev/vdb, ... " +
            "in order); repeatable. readonly: the guest cannot write (the file is opened read-only). direct: bypass the " +
            "host's page cache (O_DIRECT). io=: where reads, writes and flushes run: auto (the default: io_uring where the " +
            "kernel allows it, else sync), uring, threads (a pool of 4) or sync (on the queue's thread); `vireo bench disk` " +
            "compares them on this host. A guest flush is an " +
            "fdatasync of FILE, so what a guest synced survives the VMM. id=NAME (default disk0, disk1, ...) names it in " +
            "`vireo remote devices` and is the serial the guest reads (/sys/block/vda/serial); slot=N as for --vfio-user. " +
            "An image is held with a lock: a second VMM cannot open it for writing",
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
        CustomParser = ParseDisk,
    };

    public Option<IReadOnlyList<NetOption>> Net { get; } = new("--net")
    {
        HelpName = NetOption.Syntax,
        Description = "give the guest a virtio network device (Linux's virtio_net: eth0, eth1, ... in order) whose other end " +
            "is a host tap; repeatable. tap: a new tap the kernel names (tap0, ...), gone when vireo ends, with the host " +
            "address 192.168.249.1/24 unless ip= says otherwise; tap=NAME: that tap (created if missing; an existing one keeps " +
            "its address unless ip= is given). Needs CAP_NET_ADMIN, or a tap root made for you (`ip tuntap add NAME mode tap " +
            "user $USER`). Checksum and TSO offloads are negotiated as the tap allows. mac=MAC sets the guest's address " +
            "(default: made from the id); id=NAME (default net0, net1, ...) and slot=N as for --disk",
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
        CustomParser = ParseNet,
    };

    public Option<VsockOption?> Vsock { get; } = new("--vsock")
    {
        HelpName = VsockOption.Syntax,
        Description = "give the guest a virtio socket device (Linux's vmw_vsock_virtio_transport: AF_VSOCK) bridged to host UNIX " +
            "sockets as Firecracker does: a host program connects to PATH and writes \"CONNECT PORT\\n\" to reach the guest's " +
            "PORT (it reads \"OK HOSTPORT\\n\" once the guest accepts); the guest's connections to the host (CID 2) port P " +
            "land on the socket PATH_P, which a host program listens on. cid=N is the guest's address (default 3); PATH must " +
            "not exist (Vireo removes it at the end); id=NAME (default vsock0) and slot=N as for --disk",
        CustomParser = ParseVsock,
    };

    public Option<bool> Rng { get; } = new("--rng")
    {
        Description = "give the guest a virtio entropy device (virtio-rng over PCI, id rng0) fed from the host's " +
            "cryptographic generator; Linux's virtio_rng driver makes it /dev/hwrng",
    };

    public Option<ConsoleDevice> Console { get; } = new("--console")
    {
        HelpName = "serial|virtio",
        Description = "which guest device the console (--serial's target) is: serial (default), COM1's 8250 UART, " +
            "Linux's ttyS0; or virtio, a virtio console over PCI (id console0), Linux's hvc0, with the default command line " +
            "saying console=hvc0 and terminal resizes passed to the guest. hvc0 exists once the guest has loaded " +
            "virtio_console (a module in Debian's kernels, which the default guest loads); kernel messages from before then " +
            "are not shown on it (to watch a boot, add console=ttyS0 before console=hvc0: the 8250's output still reaches " +
            "the same place)",
        CustomParser = result => Last(result) switch
        {
            "serial" => ConsoleDevice.Serial,
            "virtio" => ConsoleDevice.Virtio,
            string other => Fail(result, $"--console takes serial or virtio, not '{other}'", ConsoleDevice.Serial),
        },
    };

    public Option<AgentOption?> Agent { get; } = new("--agent")
    {
        HelpName = AgentOption.Syntax,
        Description = "get every --vfio device from the device agent (`vireo agent`) listening on SOCKET instead of opening " +
            "/dev/vfio: the agent checks its policy for this user (and VM NAME, default vireo) and passes the descriptors, " +
            "so this process needs no access to /dev/vfio or /dev/iommu",
        CustomParser = ParseAgent,
    };

    /// <summary>Every option of `vireo run`.</summary>
    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        foreach (Option option in (Option[])[Kernel, Initramfs, Restore, Cmdline, Append, Cpus, Memory, SharedMemory, Footprint, Serial,
            ApiSocket, OnReboot, S2IdleWakeAfter, OnSuspend, OnResume, Seccomp, User, VfioUser, Vfio, Agent, Disk, Net, Vsock, Rng, Console])
        {
            command.Options.Add(option);
        }
        command.Validators.Add(result =>
        {
            if (result.GetResult(Initramfs) is not null && result.GetResult(Kernel) is null)
            {
                result.AddError("--initramfs needs --kernel");
            }
            if (result.GetResult(Restore) is not null)
            {
                foreach (Option taken in (Option[])[Kernel, Initramfs, Cmdline, Append, Cpus, Memory])
                {
                    if (result.GetResult(taken) is not null)
                    {
                        result.AddError($"--restore takes the kernel, initramfs, command line, vCPUs and memory from the snapshot; drop {taken.Name}");
                    }
                }
            }
            if (result.GetResult(User) is not null && result.GetResult(Vfio) is not null)
            {
                result.AddError("--user gives up CAP_IPC_LOCK, which --vfio's pinned DMA maps need: drop --user, or start vireo as " +
                    "that user with --agent and RLIMIT_MEMLOCK raised to the guest's memory");
            }
            if (result.GetResult(Agent) is not null && result.GetResult(Vfio) is null)
            {
                result.AddError("--agent is where --vfio devices come from; give at least one --vfio DEVICE");
            }
            // Ids and slots are one namespace across every kind of PCI device.
            List<(string Option, string Id, int? Slot)> devices =
            [
                .. Given(result, VfioUser).Select(d => ("--vfio-user", d.Id, d.Slot)),
                .. Given(result, Vfio).Select(d => ("--vfio", d.Id, d.Slot)),
                .. Given(result, Disk).Select(d => ("--disk", d.Id, d.Slot)),
                .. Given(result, Net).Select(d => ("--net", d.Id, d.Slot)),
                .. GivenOne(result, Vsock) is { } vsock ? [("--vsock", vsock.Id, vsock.Slot)] : Array.Empty<(string, string, int?)>(),
                .. result.GetResult(Rng) is not null && result.GetValue(Rng) ? [("--rng", RunCommand.RngId, (int?)null)] : Array.Empty<(string, string, int?)>(),
                .. Given(result, Console) == ConsoleDevice.Virtio ? [("--console", RunCommand.ConsoleId, (int?)null)] : Array.Empty<(string, string, int?)>(),
            ];
            if (result.GetResult(Restore) is not null)
            {
                // A snapshot holds virtio devices only (a vfio-user or assigned device's state is
                // not Vireo's to save, a vsock's connections do not outlive the process); the
                // restore checks the rest against the snapshot's devices.
                foreach (string option in devices.Select(d => d.Option).Where(o => o is "--vfio-user" or "--vfio" or "--vsock").Distinct())
                {
                    result.AddError($"--restore continues a snapshot, which holds no {option} device (only virtio disks, networks, rng and console); drop {option}");
                }
            }
            foreach (var clash in devices.GroupBy(d => d.Id).Where(g => g.Select(d => d.Option).Distinct().Count() > 1))
            {
                result.AddError($"device id '{clash.Key}' is given to a {string.Join(" and a ", clash.Select(d => d.Option).Distinct())} device; give each its own id=NAME");
            }
            foreach (var clash in devices.Where(d => d.Slot is not null).GroupBy(d => d.Slot!.Value).Where(g => g.Select(d => d.Option).Distinct().Count() > 1))
            {
                result.AddError($"PCI slot {clash.Key} is given to a {string.Join(" and a ", clash.Select(d => d.Option).Distinct())} device; give each its own slot=N or leave it out");
            }
        });
    }

    // A single device option's value, or null when it is absent or its parser already failed.
    private static T? GivenOne<T>(CommandResult result, Option<T?> option)
        where T : class
    {
        try
        {
            return result.GetResult(option) is OptionResult given ? given.GetValueOrDefault<T?>() : null;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    // --console's device, or the default when it is absent or its parser already failed.
    private static ConsoleDevice Given(CommandResult result, Option<ConsoleDevice> option)
    {
        try
        {
            return result.GetResult(option) is OptionResult given ? given.GetValueOrDefault<ConsoleDevice>() : ConsoleDevice.Serial;
        }
        catch (InvalidOperationException)
        {
            return ConsoleDevice.Serial;
        }
    }

    // The devices an option gave, or none when it is absent or its own parser already failed
    // (reading a failed option's value throws; its error is the one to show).
    private static IReadOnlyList<T> Given<T>(CommandResult result, Option<IReadOnlyList<T>> option)
    {
        if (result.GetResult(option) is not OptionResult given)
        {
            return [];
        }
        try
        {
            return given.GetValueOrDefault<IReadOnlyList<T>>() ?? [];
        }
        catch (InvalidOperationException)
        {
            // The custom parser's error sits on the argument's result, where the option's does
            // not show it; System.CommandLine reports it, so this check has nothing to add.
            return [];
        }
    }

    /// <summary>Only the options that shape the machine's tables (for `acpi dump`).</summary>
    public void AddMachineShapeTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.Options.Add(Cpus);
        command.Options.Add(Memory);
    }

    public RunOptions Bind(ParseResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return new RunOptions
        {
            Kernel = Value(result, Kernel, null),
            Initramfs = Value(result, Initramfs, null),
            Restore = Value(result, Restore, null),
            Cmdline = Value(result, Cmdline, null),
            AppendCmdline = Value(result, Append, null),
            Cpus = (int)Value(result, Cpus, 1),
            MemoryBytes = Value(result, Memory, RunOptions.DefaultMemory),
            SharedMemory = Value(result, SharedMemory, false),
            Footprint = Value(result, Footprint, false),
            Serial = Value(result, Serial, SerialTarget.Stdio)!,
            ApiSocket = Value(result, ApiSocket, null),
            S2IdleWakeAfter = Value(result, S2IdleWakeAfter, null),
            OnSuspend = Value(result, OnSuspend, null),
            OnResume = Value(result, OnResume, null),
            Seccomp = Value(result, Seccomp, ConfinementMode.Errno),
            User = Value(result, User, null),
            RestartOnReboot = Value(result, OnReboot, null) == "restart",
            VfioUserDevices = Value<IReadOnlyList<VfioUserDeviceOption>>(result, VfioUser, []),
            VfioDevices = Value<IReadOnlyList<VfioDeviceOption>>(result, Vfio, []),
            Agent = Value(result, Agent, null),
            Rng = Value(result, Rng, false),
            Console = Value(result, Console, ConsoleDevice.Serial),
            Disks = Value<IReadOnlyList<DiskOption>>(result, Disk, []),
            Nets = Value<IReadOnlyList<NetOption>>(result, Net, []),
            Vsock = Value(result, Vsock, null),
        };
    }

    // An option absent from this command (acpi dump has no --kernel) keeps its default.
    private static T Value<T>(ParseResult result, Option<T> option, T fallback) =>
        result.GetResult(option) is OptionResult { Implicit: false } given ? given.GetValueOrDefault<T>() : fallback;

    private static ulong ParseMemory(ArgumentResult result)
    {
        string text = Last(result);
        return SizeParser.TryParse(text, out ulong bytes) && bytes >= MinMemory && bytes <= MaxMemory && bytes % (2UL << 20) == 0
            ? bytes
            : Fail(result, $"--memory takes a size from 16M to 1T in whole 2 MiB steps (e.g. 512M, 2G, 1T), not '{text}'", RunOptions.DefaultMemory);
    }

    /// <summary>A duration as "500ms", "2s" or plain seconds, up to a day.</summary>
    private static TimeSpan? ParseDuration(ArgumentResult result)
    {
        string text = Last(result);
        string t = text.Trim();
        double scale = 1000;
        if (t.EndsWith("ms", StringComparison.Ordinal))
        {
            scale = 1;
            t = t[..^2];
        }
        else if (t.EndsWith('s'))
        {
            t = t[..^1];
        }
        return double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && value >= 0 && value <= 86_400
            ? TimeSpan.FromMilliseconds(value * scale)
            : Fail<TimeSpan?>(result, $"--s2idle-wake-after takes a duration such as 500ms or 2s, not '{text}'", null);
    }

    private static IReadOnlyList<VfioUserDeviceOption> ParseVfioUser(ArgumentResult result)
    {
        // One word per --vfio-user (AllowMultipleArgumentsPerToken is off): in `--vfio-user A B`, B is an unexpected argument.
        try
        {
            return VfioUserDeviceOption.ParseAll([.. result.Tokens.Select(t => t.Value)]);
        }
        catch (FormatException e)
        {
            return Fail<IReadOnlyList<VfioUserDeviceOption>>(result, e.Message, []);
        }
    }

    private static IReadOnlyList<DiskOption> ParseDisk(ArgumentResult result)
    {
        try
        {
            return DiskOption.ParseAll([.. result.Tokens.Select(t => t.Value)]);
        }
        catch (FormatException e)
        {
            return Fail<IReadOnlyList<DiskOption>>(result, e.Message, []);
        }
    }

    private static VsockOption? ParseVsock(ArgumentResult result)
    {
        try
        {
            return VsockOption.Parse(Last(result));
        }
        catch (FormatException e)
        {
            return Fail<VsockOption?>(result, e.Message, null);
        }
    }

    private static IReadOnlyList<NetOption> ParseNet(ArgumentResult result)
    {
        try
        {
            return NetOption.ParseAll([.. result.Tokens.Select(t => t.Value)]);
        }
        catch (FormatException e)
        {
            return Fail<IReadOnlyList<NetOption>>(result, e.Message, []);
        }
    }

    private static IReadOnlyList<VfioDeviceOption> ParseVfio(ArgumentResult result)
    {
        try
        {
            return VfioDeviceOption.ParseAll([.. result.Tokens.Select(t => t.Value)]);
        }
        catch (FormatException e)
        {
            return Fail<IReadOnlyList<VfioDeviceOption>>(result, e.Message, []);
        }
    }

    private static AgentOption? ParseAgent(ArgumentResult result)
    {
        try
        {
            return AgentOption.Parse(Last(result));
        }
        catch (FormatException e)
        {
            return Fail<AgentOption?>(result, e.Message, null);
        }
    }

    private static string Last(ArgumentResult result) => result.Tokens.Count == 0 ? "" : result.Tokens[^1].Value;

    private static T Fail<T>(ArgumentResult result, string message, T placeholder)
    {
        result.AddError(message);
        return placeholder;
    }
}
