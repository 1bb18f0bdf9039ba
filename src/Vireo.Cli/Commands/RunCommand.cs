using System.Runtime.InteropServices;
using Vireo.Api;
using Vireo.Kvm;
using Vireo.Loader;
using Vireo.Sys;
using Vireo.Vmm;

namespace Vireo.Cli;

/// <summary>`vireo run`: boot a Linux guest.</summary>
internal static class RunCommand
{
    public const string Help = """
        Usage: vireo run [--kernel K [--initramfs I]] [--cmdline C | --append A]
                         [--cpus N] [--memory SIZE] [--shared-memory]
                         [--serial stdio|file=P|socket=P] [--api-socket P] [--on-reboot exit|restart]
                         [--s2idle-wake-after DURATION] [--on-suspend CMD] [--on-resume CMD]

        Boots a Linux kernel (bzImage) with an optional initramfs. For a ready-made guest
        (Debian's cloud kernel and a busybox initramfs with a shell on the console), run
        tools/run-default-guest.sh, or `vireo-lab guest` to fetch it and print its paths.

          --kernel K        bzImage to boot (e.g. /boot/vmlinuz-*)
          --initramfs I     initramfs (cpio, optionally compressed) to pass to it
          --cmdline C       kernel command line (default: "console=ttyS0 reboot=k panic=-1")
          --append A        words added to the command line
          --cpus N          vCPUs, 1 to 254 (default 1)
          --memory SIZE     guest RAM, e.g. 512M or 2G (default 512M): private memory
                            with transparent huge pages, so KVM maps it 2 MiB at a time
          --shared-memory   back guest RAM with a memfd that device processes (vfio-user
                            servers) can map; 4 KiB pages unless the host enables shmem THP
          --serial T        where COM1 goes: stdio (default), file=PATH, or socket=PATH
                            (a UNIX socket; the client that connects gets the console)
          --on-reboot A     exit (default: a guest reboot ends the run with status 0)
                            or restart (boot the guest again, as a real machine does)
          --s2idle-wake-after D   when the guest suspends to idle, wake it after D
                            (e.g. 500ms, 2s); otherwise it sleeps until `vireo remote
                            wake`, the power button, or a key on the console;
                            0 wakes it at its entry trap, before it is suspended
                            (the guest's suspend is cut short: no `suspended` event)
          --on-suspend CMD  run CMD (with /bin/sh) when the guest is suspended, its vCPUs
          --on-resume CMD   parked; and when it has resumed (e.g. to suspend the host);
                            CMD gets VIREO_EVENT (suspended|resumed) and VIREO_CYCLE
          --api-socket P    serve the management API (HTTP) on the UNIX socket P; drive it
                            with `vireo remote --api-socket P info|pause|resume|power-button|
                            shutdown [--force]|gpe N|events`

        On a terminal, every key goes to the guest; type Ctrl-A x to stop the VM
        (Ctrl-A Ctrl-A sends a Ctrl-A).

        The run ends when the guest does: a reboot or power-off (ACPI S5) exits 0, a kernel
        panic exits 1 with the panic line. SIGTERM presses the guest's ACPI power button
        for a graceful shutdown; a second SIGTERM, or SIGINT, stops the VM at once. A
        one-line reason goes to stderr.

        This needs hardware KVM (Intel VMX or AMD SVM). On a host whose /dev/kvm is PVM,
        use `vireo-lab run` with the same options: it runs this command in the nested lab.
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var reader = new ArgReader("run", args);
        if (reader.Flag("--help") || reader.Flag("-h"))
        {
            await stdout.WriteLineAsync(Help);
            return 0;
        }
        RunOptions options = RunOptions.Parse(reader);
        reader.Done();

        (string kernel, string? initramfs) = ResolveGuest(options);
        // The kernel is checked before KVM is even opened: a bad file is the user's first problem.
        BzImage.Load(kernel);

        using KvmSystem kvm = HostKvm.Open();
        if (kvm.Backend is not (KvmBackend.Intel or KvmBackend.Amd))
        {
            throw new InvalidOperationException(
                $"this host's /dev/kvm is {BackendName(kvm.Backend)}, which cannot deliver interrupts to a stock Linux guest; " +
                ("run the same command in the nested lab instead: `vireo-lab run " + string.Join(' ', args)).TrimEnd() + "`");
        }

        using GuestConsole console = GuestConsole.Open(options.Serial.Kind, options.Serial.Path);
        LinuxVmConfig config = options.ToConfig(kernel, initramfs);
        LinuxVm? current = null;
        using var cancel = new CancellationTokenSource();
        console.QuitRequested += cancel.Cancel;
        console.AttachInput(bytes => Volatile.Read(ref current)?.SendConsoleInput(bytes));
        // Keys go to the guest as typed (its shell echoes and edits); Ctrl-A x quits.
        using RawTerminal raw = options.Serial.Kind == ConsoleKind.Stdio ? RawTerminal.Enter(0) : RawTerminal.Enter(-1);
        using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; cancel.Cancel(); });
        // The first SIGTERM asks the guest to shut down (ACPI power button); a second one stops it.
        int terms = 0;
        using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c =>
        {
            c.Cancel = true;
            if (Interlocked.Increment(ref terms) == 1)
            {
                stderr.WriteLine("vireo: SIGTERM: pressing the guest's ACPI power button (send SIGTERM again to stop it at once)");
                LinuxVm? running = Volatile.Read(ref current);
                // A guest in s2idle has its vCPUs parked: the press becomes its wakeup.
                if (running is not null && running.RequestWake("sigterm") == S2IdleWakeOutcome.NotSuspended)
                {
                    running.PowerManagement.PressPowerButton();
                }
            }
            else
            {
                cancel.Cancel();
            }
        });

        while (true)
        {
            using LinuxVm vm = LinuxVm.Create(kvm, config, console.Write, line => stderr.WriteLine($"vireo: {line}"));
            var controller = new LinuxVmController(vm, config);
            await using ApiServer? api = options.ApiSocket is null ? null : await ApiServer.StartAsync(options.ApiSocket, controller);
            Volatile.Write(ref current, vm);
            vm.AutoWakeAfter = options.S2IdleWakeAfter;
            vm.S2IdleTransition += transition =>
            {
                // Raised on a vCPU thread inside its trap: report and hand off, never block.
                stderr.WriteLine($"vireo: s2idle: {transition.Name} (cycle {transition.Cycle}{(transition.Source is null ? "" : $", {transition.Source}")})");
                controller.Publish(transition);
                string? hook = transition.Kind switch
                {
                    S2IdleEventKind.Suspended => options.OnSuspend,
                    S2IdleEventKind.Resumed => options.OnResume,
                    _ => null,
                };
                if (hook is not null)
                {
                    HostHook.Start(hook, transition.Name, transition.Cycle, stderr);
                }
            };

            controller.Events.Publish(VmEventNames.Booted);
            MachineExit exit = vm.Run(cancel.Token);
            Volatile.Write(ref current, null);
            controller.Ended(exit);
            console.Flush();
            bool rebooted = exit.Reason is MachineExitReason.Reset or MachineExitReason.Shutdown && vm.PanicLine is null;
            if (rebooted && options.RestartOnReboot && !cancel.IsCancellationRequested)
            {
                await stderr.WriteLineAsync("vireo: guest rebooted; starting it again (--on-reboot restart)");
                continue;
            }
            (int status, string reason) = Describe(exit, vm.PanicLine);
            await stderr.WriteLineAsync($"vireo: {reason}");
            return status;
        }
    }

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

    private static (string Kernel, string? Initramfs) ResolveGuest(RunOptions options)
    {
        // vireo run fetches nothing: the default guest (apt, a kernel download) is the lab tool's.
        return options.Kernel is not null
            ? (options.Kernel, options.Initramfs)
            : throw new UsageException(
                "run needs --kernel (and usually --initramfs); to boot the default guest run tools/run-default-guest.sh, " +
                "or fetch it with `vireo-lab guest` and pass the kernel and initramfs it prints");
    }

    private static string BackendName(KvmBackend backend) => backend switch
    {
        KvmBackend.Pvm => "PVM (kvm_pvm)",
        _ => "of an unknown kind (no kvm_intel or kvm_amd module)",
    };
}
