using System.CommandLine;
using System.Runtime.InteropServices;
using Vireo.Agent;
using Vireo.Api;
using Vireo.Cli.Common;
using Vireo.Kvm;
using Vireo.Loader;
using Vireo.Sys;
using Vireo.Vfio;
using Vireo.Virtio;
using Vireo.Vmm;

namespace Vireo.Cli;

/// <summary>`vireo run`: boot a Linux guest.</summary>
internal static class RunCommand
{
    private const string Details = """
        For a ready-made guest (Debian's cloud kernel and a busybox initramfs with a shell on
        the console), run tools/run-default-guest.sh, or `vireo-lab guest` to fetch it and
        print its paths.

        On a terminal, every key goes to the guest; type Ctrl-A x to stop the VM
        (Ctrl-A Ctrl-A sends a Ctrl-A).

        The run ends when the guest does: a reboot or power-off (ACPI S5) exits 0, a kernel
        panic exits 1 with the panic line. SIGTERM presses the guest's power button for a
        graceful shutdown (the ACPI power button on a PC, a GPIO power key, KEY_POWER, on
        arm64); a second SIGTERM, or SIGINT, stops the VM at once. A one-line reason goes
        to stderr.

        --vfio-user assigns a PCI device served by another process: the guest sees it on
        its PCI bus (0000:00:SS.0); `vireo remote devices` lists it, and if its server dies
        the guest runs on (the device reads all-ones) and vm.events says device-lost as soon as
        its socket closes.

        --vfio assigns a host PCI device through the kernel's VFIO (vfio-pci): its whole
        IOMMU group must be bound to vfio-pci (Vireo names a device that is not, and how to
        rebind it). With --agent, a privileged `vireo agent` opens the device for this
        process after checking its policy, so `vireo run` needs only /dev/kvm.

        This needs hardware KVM (Intel VMX or AMD SVM). On a host whose /dev/kvm is PVM,
        use `vireo-lab run` with the same options: it runs this command in the nested lab.
        """;

    public static Command Create()
    {
        var set = new RunOptionSet();
        var command = new VireoCommand("run", "Boot a Linux kernel (bzImage) with an optional initramfs.", Details);
        set.AddTo(command);
        command.SetAction(result => RunAsync(
            set.Bind(result),
            string.Join(' ', result.Tokens.Skip(1).Select(t => t.Value)),
            result.InvocationConfiguration.Output,
            result.InvocationConfiguration.Error));
        return command;
    }

    /// <summary>Runs the guest described by <paramref name="options"/>; <paramref name="commandLine"/>
    /// is the options as typed, for the hint to run them in the lab instead. <paramref name="connectVfioUser"/>
    /// makes a --vfio-user device (socket, id); <see cref="PciDeviceFactory.ConnectVfioUser"/> unless a test gives one.</summary>
    public static async Task<int> RunAsync(RunOptions options, string commandLine, TextWriter stdout, TextWriter stderr,
        Func<string, string, IMachineBoundPciFunction>? connectVfioUser = null)
    {
        // --restore: the snapshot is read and checked first, and says which guest it is.
        SnapshotDocument? snapshot = options.Restore is null ? null : SnapshotStore.Load(options.Restore);
        (string kernel, string? initramfs) = snapshot is null ? ResolveGuest(options) : (snapshot.Machine.Kernel, snapshot.Machine.Initramfs);
        UserIdentity? user = ResolveUser(options.User);
        // The files named are checked before KVM is even opened: a bad one is the user's first problem.
        foreach (VfioUserDeviceOption device in options.VfioUserDevices)
        {
            if (!File.Exists(device.Socket))
            {
                throw new IOException(
                    $"no vfio-user server socket at {device.Socket} (--vfio-user for {device.Id}): start the device server first " +
                    $"(e.g. `vireo-device --socket {device.Socket}`)");
            }
        }
        CheckVfioDevices(options);
        foreach (DiskOption disk in options.Disks)
        {
            if (!File.Exists(disk.Path))
            {
                throw new IOException($"no disk image at {disk.Path} (--disk for {disk.Id}): create one first (e.g. `truncate -s 1G {disk.Path}` and mkfs inside the guest, or `mkfs.ext4 {disk.Path}`)");
            }
        }
        if (options.Vsock is { } vsockOption && Path.GetDirectoryName(Path.GetFullPath(vsockOption.Socket)) is { } directory && !Directory.Exists(directory))
        {
            throw new IOException($"no directory {directory} for the vsock socket {vsockOption.Socket} (--vsock): create it first");
        }
        // The kernel is checked before any VM exists: a bzImage on a PC, an arm64 Image on arm64.
        // A restored guest needs its kernel only if it reboots; the build then checks it.
        if (snapshot is null)
        {
            if (System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.Arm64)
            {
                Arm64Image.Load(kernel);
            }
            else
            {
                BzImage.Load(kernel);
            }
        }

        using KvmSystem kvm = HostKvm.Open();
        if (kvm.Backend is not (KvmBackend.Intel or KvmBackend.Amd or KvmBackend.Arm64))
        {
            throw new KvmUnavailableException(
                $"this host's KVM backend is {KvmBackendName.Of(kvm.Backend)}, which cannot deliver interrupts to a stock Linux guest; " +
                ("run the same command in the nested lab instead: `vireo-lab run " + commandLine).TrimEnd() + "`" +
                (options.VfioUserDevices.Count == 0 ? "" : " (the lab serves its sample device itself: --vfio-user sample[,id=NAME])"));
        }

        Action<string> log = line => stderr.WriteLine($"vireo: {line}");
        List<(IMachineBoundPciFunction Function, int? Slot)> devices = OpenDevices(
        [
            .. options.VfioUserDevices.Select(o => ((Func<IMachineBoundPciFunction>)(() => (connectVfioUser ?? ((socket, id) => PciDeviceFactory.ConnectVfioUser(socket, id, log)))(o.Socket, o.Id)), o.Slot)),
            .. options.VfioDevices.Select(o => ((Func<IMachineBoundPciFunction>)(() => OpenVfio(o, options.Agent, log)), o.Slot)),
            .. options.Disks.Select(o => ((Func<IMachineBoundPciFunction>)(() => PciDeviceFactory.CreateDisk(o.Path, o.Id, o.ReadOnly, o.Direct, log, o.Io)), o.Slot)),
            .. options.Nets.Select(o => ((Func<IMachineBoundPciFunction>)(() => CreateNet(o, log)), o.Slot)),
            .. options.Vsock is { } vsock ? [((Func<IMachineBoundPciFunction>)(() => PciDeviceFactory.CreateVsock(vsock.Cid, vsock.Socket, vsock.Id, log)), vsock.Slot)] : Array.Empty<(Func<IMachineBoundPciFunction>, int?)>(),
            .. options.Rng ? [((Func<IMachineBoundPciFunction>)(() => PciDeviceFactory.CreateRng(RngId, log)), (int?)null)] : Array.Empty<(Func<IMachineBoundPciFunction>, int?)>(),
            .. options.Console == ConsoleDevice.Virtio ? [((Func<IMachineBoundPciFunction>)(() => CreateVirtioConsole(options, log)), (int?)null)] : Array.Empty<(Func<IMachineBoundPciFunction>, int?)>(),
        ]);
        try
        {
            LinuxVmConfig config = options.ToConfig(kernel, initramfs, [.. devices.Select(d => new PciAttachment(d.Function, d.Slot))]);
            if (snapshot is not null)
            {
                config = config with { Cmdline = snapshot.Machine.Cmdline, Cpus = snapshot.Machine.Cpus, MemoryBytes = snapshot.Machine.MemoryBytes };
            }
            return await RunVmAsync(options, config, kvm, user, stderr, snapshot);
        }
        finally
        {
            // After the last machine: the devices outlive reboots.
            for (int i = devices.Count - 1; i >= 0; i--)
            {
                (devices[i].Function as IDisposable)?.Dispose();
            }
        }
    }

    /// <summary>Whether `run` confines the process it runs in (capabilities, no_new_privs, seccomp;
    /// see <see cref="VmmConfinement"/>): set by the `vireo` executable, not by a host that runs the
    /// command in its own process (the test suite), which a confinement would outlive.</summary>
    internal static bool ConfineProcess { get; set; }

    /// <summary>The id --rng's device has in vm.info.</summary>
    internal const string RngId = "rng0";

    /// <summary>The id `--console virtio`'s device has in vm.info.</summary>
    internal const string ConsoleId = "console0";

    /// <summary>One --net device: a tap Vireo creates gets the default host address unless ip=
    /// says otherwise; one that exists keeps its own.</summary>
    private static IMachineBoundPciFunction CreateNet(NetOption option, Action<string> log)
    {
        bool exists = option.Tap is not null && Directory.Exists(Path.Combine("/sys/class/net", option.Tap));
        return PciDeviceFactory.CreateNet(option.Tap, option.HostAddress ?? (exists ? null : NetOption.DefaultHostAddress),
            option.Mac ?? MacAddress.FromName(option.Id), option.Id, log);
    }

    /// <summary>hvc0, sized as the terminal the console is on, if it is on one.</summary>
    private static VirtioMachineFunction CreateVirtioConsole(RunOptions options, Action<string> log)
    {
        (ushort columns, ushort rows) = options.Serial.Kind == ConsoleKind.Stdio && RawTerminal.Size(1) is { } size ? size : ((ushort)80, (ushort)25);
        return PciDeviceFactory.CreateConsole(ConsoleId, columns, rows, log);
    }

    /// <summary>Makes every assigned device in order; if one fails, those made are released.</summary>
    internal static List<(IMachineBoundPciFunction Function, int? Slot)> OpenDevices(IReadOnlyList<(Func<IMachineBoundPciFunction> Open, int? Slot)> devices)
    {
        var opened = new List<(IMachineBoundPciFunction Function, int? Slot)>();
        try
        {
            foreach ((Func<IMachineBoundPciFunction> open, int? slot) in devices)
            {
                opened.Add((open(), slot));
            }
            return opened;
        }
        catch
        {
            opened.Select(d => d.Function).OfType<IDisposable>().Reverse().ToList().ForEach(d => d.Dispose());
            throw;
        }
    }

    /// <summary>--vfio devices exist in sysfs (or the agent's socket does) before KVM is opened.</summary>
    private static void CheckVfioDevices(RunOptions options)
    {
        if (options.Agent is { } agent)
        {
            if (!File.Exists(agent.Socket))
            {
                throw new IOException($"no device agent socket at {agent.Socket} (--agent): start it first (`vireo agent --policy FILE --socket {agent.Socket}`, as root)");
            }
            return;
        }
        foreach (VfioDeviceOption device in options.VfioDevices)
        {
            VfioSysfs.Resolve(device.Device);
        }
    }

    /// <summary>One --vfio device: from the agent when there is one, else opened here.</summary>
    private static IMachineBoundPciFunction OpenVfio(VfioDeviceOption option, AgentOption? agent, Action<string> log)
    {
        if (agent is null)
        {
            return PciDeviceFactory.OpenVfio(option.Device, option.Id, option.Backend, log);
        }
        AgentGrant grant = AgentClient.Request(agent.Socket, new AgentRequest(agent.Vm, option.Device, option.BackendName));
        VfioDeviceFds fds;
        try
        {
            fds = grant.Opened.Backend == "iommufd"
                ? VfioDeviceFds.ForIommufd(grant.Opened.Fd("iommufd"), grant.Opened.Fd("device"), grant.Device)
                : VfioDeviceFds.ForGroup(grant.Opened.Fd("container"), grant.Opened.Fd("group"), grant.Device, grant.Group);
        }
        catch
        {
            grant.Dispose();
            throw;
        }
        log($"device '{option.Id}': {grant.Device} (IOMMU group {grant.Group}) from the agent at {agent.Socket}, vfio ({grant.Opened.Backend})");
        // The descriptors now belong to the device (AttachVfio closes them if it fails).
        return PciDeviceFactory.AttachVfio(fds, option.Id, log);
    }

    private static async Task<int> RunVmAsync(RunOptions options, LinuxVmConfig config, KvmSystem kvm, UserIdentity? user, TextWriter stderr,
        SnapshotDocument? snapshot)
    {
        using GuestConsole console = GuestConsole.Open(options.Serial.Kind, options.Serial.Path);
        // Vireo's own lines start on a line of their own even while the guest is mid-line.
        Action<string> log = line => console.WriteHostLine(stderr, $"vireo: {line}");
        // The first machine continues the snapshot; a reboot boots the snapshot's kernel afresh.
        bool restorePending = snapshot is not null;
        using var loop = new ControlLoop(
            () =>
            {
                if (restorePending)
                {
                    restorePending = false;
                    return MachineBuilder.RestoreLinux(kvm, config, options.Restore!, snapshot!, console.Write, log);
                }
                return MachineBuilder.BuildLinux(kvm, config, console.Write, log);
            },
            VmDescription.Of(config),
            new ControlLoopOptions
            {
                RestartOnReboot = options.RestartOnReboot,
                S2IdleWakeAfter = options.S2IdleWakeAfter,
                OnSuspend = options.OnSuspend,
                OnResume = options.OnResume,
                Log = log,
            });
        // Ctrl-A x, SIGINT and a second SIGTERM stop the VM at once; the first SIGTERM asks the
        // guest to power off. The control loop decides what each means for a suspended guest.
        console.QuitRequested += () => loop.Post(new ShutdownVm(force: true, source: "console"));
        console.AttachInput(loop.SendConsoleInput);
        // Keys go to the guest as typed (its shell echoes and edits); Ctrl-A x quits.
        using RawTerminal raw = options.Serial.Kind == ConsoleKind.Stdio ? RawTerminal.Enter(0) : RawTerminal.Enter(-1);
        using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c =>
        {
            c.Cancel = true;
            loop.Post(new ShutdownVm(force: true, source: "sigint"));
        });
        // A virtio console on this terminal follows its size: hvc0 learns of a resize as a
        // configuration change, so the guest's tty (and what runs in it) sees the new size.
        using PosixSignalRegistration? winch = options.Serial.Kind == ConsoleKind.Stdio && VirtioConsoleOf(config) is { } hvc
            ? PosixSignalRegistration.Create(PosixSignal.SIGWINCH, _ =>
            {
                if (RawTerminal.Size(1) is (ushort columns, ushort rows) && ((VirtioConsole)hvc.Device).Resize(columns, rows))
                {
                    hvc.Transport.NotifyConfigChanged();
                }
            })
            : null;
        int terms = 0;
        using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c =>
        {
            c.Cancel = true;
            bool first = Interlocked.Increment(ref terms) == 1;
            if (first)
            {
                stderr.WriteLine($"vireo: SIGTERM: pressing the guest's {MachineBuilder.HostPowerButtonName} (send SIGTERM again to stop it at once)");
            }
            var shutdown = new ShutdownVm(force: !first, source: "sigterm");
            loop.Post(shutdown);
            // A machine without a power button refuses the press: say so, and what does stop
            // it, rather than nothing.
            shutdown.Reply.ContinueWith(t => log($"SIGTERM: {t.Exception!.GetBaseException().Message}; send SIGTERM again to stop it at once"),
                CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        });

        // The API is served for the whole run, across guest reboots; it starts first, so a
        // socket that cannot be served stops the run before the guest boots (requests that come
        // before the boot wait in the loop's queue).
        await using ApiServer? api = options.ApiSocket is null ? null : await ApiServer.StartAsync(options.ApiSocket, loop);
        // Set up: KVM, the devices, the taps, the console and the API socket exist. What a reboot
        // repeats (building a machine from the same descriptors and files) needs no privilege
        // but CAP_IPC_LOCK for kernel VFIO's pinned DMA maps.
        if (ConfineProcess)
        {
            VmmConfinement.Activate(options.Seccomp, hooks: options.OnSuspend is not null || options.OnResume is not null, user,
                options.VfioDevices.Count > 0 ? [ProcessPrivileges.CapIpcLock] : []);
        }
        loop.Start();
        VmmResult result = await loop.Completion;
        console.Flush();
        (int status, string reason) = Describe(result.Exit, result.PanicLine);
        await stderr.WriteLineAsync($"vireo: {reason}");
        if (options.Footprint)
        {
            await stderr.WriteLineAsync($"vireo: footprint at the first guest instruction: {result.FirstEntry?.ToString() ?? "not reached"}");
            await stderr.WriteLineAsync($"vireo: footprint at the end: {result.End?.ToString() ?? "not sampled"}");
        }
        return status;
    }

    private static VirtioMachineFunction? VirtioConsoleOf(LinuxVmConfig config) =>
        config.PciFunctions.Select(a => a.Function).OfType<VirtioMachineFunction>().FirstOrDefault(f => f.Device is VirtioConsole);

    internal static (int Status, string Reason) Describe(MachineExit exit, string? panicLine)
    {
        if (panicLine is not null)
        {
            return (1, $"guest kernel panicked: {panicLine}");
        }
        return exit.Reason switch
        {
            MachineExitReason.Reset => (0, "guest requested reboot"),
            MachineExitReason.Shutdown => (0, "guest requested reboot (triple fault)"),
            MachineExitReason.PowerOff => (0, "guest powered off"),
            MachineExitReason.Stopped => (0, "VM stopped by the host"),
            MachineExitReason.Halted => (1, "every vCPU halted with interrupts off; the guest cannot continue"),
            _ => (1, $"the VM failed: {exit}"),
        };
    }

    // --user is resolved (and root checked) before anything is opened, so a typo costs nothing.
    private static UserIdentity? ResolveUser(string? spec)
    {
        if (spec is null)
        {
            return null;
        }
        UserIdentity user;
        try
        {
            user = UserIdentity.Parse(spec);
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"--user: {e.Message}");
        }
        return Environment.IsPrivilegedProcess
            ? user
            : throw new UsageException($"--user {spec} switches users, which needs vireo started as root; started as another user, vireo already runs as it (leave out --user)");
    }

    private static (string Kernel, string? Initramfs) ResolveGuest(RunOptions options)
    {
        // vireo run fetches nothing: the default guest (apt, a kernel download) is the lab tool's.
        return options.Kernel is not null
            ? (options.Kernel, options.Initramfs)
            : throw new UsageException(
                "run needs --kernel (and usually --initramfs); to boot the default guest run tools/run-default-guest.sh, " +
                "or fetch it with `vireo-lab guest` and pass the kernel and initramfs it prints");
    }
}
