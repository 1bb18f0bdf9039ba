using System.CommandLine;
using Vireo.Api;
using Vireo.Cli.Common;
using Vireo.Sys;
using Vireo.Vmm;

namespace Vireo.Cli;

/// <summary>
/// `vireo confine-check` (hidden): confines this process exactly as `vireo run` does once set up,
/// then makes forbidden and allowed syscalls from a thread of each kind, from a thread that was
/// already running, and through the API server, and prints one line per probe
/// (<c>KIND CALL: ERRNO</c>, <c>ok</c> for success) and the process's /proc status lines. The
/// test suite runs it as a child process (a confined process stays confined), including with
/// <c>--mode kill</c>, where the first forbidden call must kill it by SIGSYS. Needs no KVM.
/// </summary>
internal static class ConfineCheckCommand
{
    // <linux/socket.h>
    private const int AfUnix = 1;
    private const int AfInet = 2;

    // <asm-generic/fcntl.h>
    private const int OCreatWrite = 0x40 | 0x1;

    // <asm-generic/ioctls.h> TIOCSTI; <linux/kvm.h> KVM_GET_API_VERSION = _IO(0xAE, 0).
    private const nuint Tiocsti = 0x5412;
    private const nuint KvmGetApiVersion = 0xAE00;

    public static Command Create()
    {
        var mode = new Option<string>("--mode") { DefaultValueFactory = _ => "errno", Description = "errno, kill, log or off" };
        var kill = new Option<string?>("--forbidden-on") { Description = "vcpu, device, control or main: make one forbidden call there and nothing else" };
        var vfio = new Option<bool>("--vfio") { Description = "confine as run does with --vfio devices (CAP_IPC_LOCK kept)" };
        var hook = new Option<bool>("--hook") { Description = "confine as run does with --on-suspend, and run a hook from a control thread" };
        var dir = new Option<string>("--dir") { Required = true, Description = "a scratch directory for the API socket and files" };
        var user = new Option<string?>("--user") { Description = "confine as run does with --user USER[:GROUP]" };
        var command = new VireoCommand("confine-check", "Prove the confinement `vireo run` applies (for the test suite).") { Hidden = true };
        command.Options.Add(mode);
        command.Options.Add(kill);
        command.Options.Add(dir);
        command.Options.Add(hook);
        command.Options.Add(vfio);
        command.Options.Add(user);
        command.SetAction(result => result.GetValue(hook)
            ? RunHook(Parse(result.GetValue(mode)!), result.GetValue(dir)!, result.InvocationConfiguration.Output)
            : RunAsync(Parse(result.GetValue(mode)!), result.GetValue(kill), result.GetValue(dir)!, result.GetValue(vfio),
                result.GetValue(user) is string spec ? UserIdentity.Parse(spec) : null, result.InvocationConfiguration.Output));
        return command;
    }

    private static ConfinementMode Parse(string mode) => mode switch
    {
        "errno" => ConfinementMode.Errno,
        "kill" => ConfinementMode.Kill,
        "log" => ConfinementMode.Log,
        "off" => ConfinementMode.Off,
        _ => throw new UsageException($"--mode takes errno, kill, log or off, not '{mode}'"),
    };

    private static async Task<int> RunAsync(ConfinementMode mode, string? forbiddenOn, string dir, bool vfio, UserIdentity? user, TextWriter output)
    {
        // Set up as `vireo run` does: the API socket exists, and a thread is running already.
        var vm = new ControlThreadVmm();
        await using ApiServer api = await ApiServer.StartAsync(Path.Combine(dir, "api.sock"), vm);
        using var go = new ManualResetEventSlim();
        // Under kill, only the calls every kind allows are made: the run must then end normally.
        bool forbiddenToo = mode != ConfinementMode.Kill;
        var earlyResults = new List<string>();
        var early = new Thread(() =>
        {
            go.Wait();
            if (forbiddenToo)
            {
                earlyResults.Add($"early socket(AF_INET): {Name(SyscallProbe.Socket(AfInet))}");
            }
            earlyResults.Add($"early socket(AF_UNIX): {Name(SyscallProbe.Socket(AfUnix))}");
        }) { Name = "early", IsBackground = true };
        early.Start();

        VmmConfinement.Activate(mode, hooks: false, user, vfio ? [ProcessPrivileges.CapIpcLock] : []);
        vm.Start();

        if (forbiddenOn is not null)
        {
            output.WriteLine($"calling socket(AF_INET) on a {forbiddenOn} thread");
            output.Flush();
            string line = forbiddenOn == "main"
                ? $"main socket(AF_INET): {Name(SyscallProbe.Socket(AfInet))}"
                : OnThread(KindOf(forbiddenOn), () => [$"{forbiddenOn} socket(AF_INET): {Name(SyscallProbe.Socket(AfInet))}"])[0];
            output.WriteLine(line);
            return 0;
        }

        foreach (string line in ProcStatus())
        {
            output.WriteLine(line);
        }
        // Capabilities are per thread: every thread, the runtime's own included.
        IReadOnlyList<ProcessPrivileges.ThreadCredentials> threads = ProcessPrivileges.Threads();
        output.WriteLine($"threads: {threads.Count}, holding capabilities: {threads.Count(t => t.HoldsCapabilities)}, " +
            $"uids: {string.Join(' ', threads.SelectMany(t => t.Uids).Distinct())}, gids: {string.Join(' ', threads.SelectMany(t => t.Gids).Distinct())}");
        go.Set();
        early.Join();
        earlyResults.ForEach(output.WriteLine);

        string file = Path.Combine(dir, "created");
        IEnumerable<string> Probe(string who, params (string Call, bool Forbidden, Func<int> Make)[] probes) =>
            probes.Where(p => forbiddenToo || !p.Forbidden).Select(p => $"{who} {p.Call}: {Name(p.Make())}").ToList();
        foreach (string line in Probe("main",
            ("socket(AF_INET)", true, () => SyscallProbe.Socket(AfInet)),
            ("execve", true, () => SyscallProbe.Execve("/nonexistent/vireo-confine-check")),
            ("umount2", true, () => SyscallProbe.Call("umount2", 0, 0)),
            ("socket(AF_UNIX)", false, () => SyscallProbe.Socket(AfUnix))))
        {
            output.WriteLine(line);
        }
        foreach ((string kind, VmmThreadKind threadKind) in new[] { ("vcpu", VmmThreadKind.Vcpu), ("device", VmmThreadKind.Device), ("control", VmmThreadKind.Control) })
        {
            foreach (string line in OnThread(threadKind, () =>
            {
                using SafeFd devNull = SafeFd.Open("/dev/null", OpenFlags.ReadOnly);
                return
                [
                    .. Probe(kind,
                        ("socket(AF_INET)", true, () => SyscallProbe.Socket(AfInet)),
                        ("socket(AF_UNIX)", threadKind == VmmThreadKind.Vcpu, () => SyscallProbe.Socket(AfUnix)),
                        ("execve", true, () => SyscallProbe.Execve("/nonexistent/vireo-confine-check")),
                        ("openat(O_CREAT)", threadKind != VmmThreadKind.Control, () => SyscallProbe.OpenAt(file + "-" + kind, OCreatWrite)),
                        ("openat(O_RDONLY)", false, () => SyscallProbe.OpenAt("/proc/self/status", 0)),
                        ("ioctl(TIOCSTI)", true, () => SyscallProbe.Ioctl(devNull, Tiocsti)),
                        ("ioctl(KVM_GET_API_VERSION)", false, () => SyscallProbe.Ioctl(devNull, KvmGetApiVersion)),
                        ("eventfd2", false, () => SyscallProbe.EventFd())),
                    $"{kind} thread: {StartsThread()}",
                ];
            }))
            {
                output.WriteLine(line);
            }
        }

        if (user is not null)
        {
            // The socket was made by root with mode 0600 before the switch, as run makes it: this
            // process, now another user, is not one of its clients.
            output.WriteLine("api: not probed (the socket is root's, as `vireo run --user` leaves it)");
            return 0;
        }
        using var client = new ApiClient(Path.Combine(dir, "api.sock"), TimeSpan.FromSeconds(10));
        ApiPing ping = await client.PingAsync();
        output.WriteLine($"api ping: ok {ping.Version}");
        VmInfo info = await client.GetInfoAsync();
        output.WriteLine($"api vm.info: {info.State} from {vm.AnsweredOn}");
        return 0;
    }

    // A host hook (--on-suspend) starts /bin/sh from the control thread, under its filter and the baseline.
    private static Task<int> RunHook(ConfinementMode mode, string dir, TextWriter output)
    {
        VmmConfinement.Activate(mode, hooks: true, user: null);
        string file = Path.Combine(dir, "hooked");
        string[] lines = OnThread(VmmThreadKind.Control, () =>
        {
            new Vireo.Vmm.ShellHookRunner(line => output.WriteLine($"hook log: {line}")).Start($"echo \"$VIREO_EVENT $VIREO_CYCLE\" >> '{file}'", "suspended", 3);
            return [];
        });
        lines.ToList().ForEach(output.WriteLine);
        for (int i = 0; i < 200 && !(File.Exists(file) && File.ReadAllText(file).EndsWith('\n')); i++)
        {
            Thread.Sleep(50);
        }
        output.WriteLine($"control hook: {(File.Exists(file) ? File.ReadAllText(file).Trim() : "did not run")}");
        return Task.FromResult(0);
    }

    private static VmmThreadKind KindOf(string name) => name switch
    {
        "vcpu" => VmmThreadKind.Vcpu,
        "device" => VmmThreadKind.Device,
        "control" => VmmThreadKind.Control,
        _ => throw new UsageException($"--forbidden-on takes vcpu, device, control or main, not '{name}'"),
    };

    // A thread of the kind, as the VMM starts one: it confines itself first.
    private static string[] OnThread(VmmThreadKind kind, Func<string[]> probes)
    {
        string[] lines = [];
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                VmmConfinement.EnterThread(kind);
                lines = probes();
            }
            catch (Exception e)
            {
                failure = e;
            }
        }) { Name = kind.ToString(), IsBackground = true };
        thread.Start();
        thread.Join();
        return failure is null ? lines : [$"{kind} failed: {failure.Message}"];
    }

    // A GC or the thread pool may start a thread from any thread: that must keep working.
    private static string StartsThread()
    {
        bool ran = false;
        var thread = new Thread(() => ran = true);
        thread.Start();
        thread.Join();
        return ran ? "ok" : "did not run";
    }

    private static string Name(int errno) => errno == 0 ? "ok" : Errno.Name(errno);

    private static IEnumerable<string> ProcStatus() =>
        File.ReadAllLines("/proc/self/status").Where(l => l.StartsWith("Cap", StringComparison.Ordinal)
            || l.StartsWith("NoNewPrivs", StringComparison.Ordinal) || l.StartsWith("Seccomp", StringComparison.Ordinal));

    /// <summary>Answers vm.info on a dedicated thread confined as the control loop is.</summary>
    private sealed class ControlThreadVmm : IVmm
    {
        private readonly System.Collections.Concurrent.BlockingCollection<Action> _work = [];

        public VmEventHub Events { get; } = new();

        public string AnsweredOn { get; private set; } = "nowhere";

        public void Start() => new Thread(() =>
        {
            VmmConfinement.EnterThread(VmmThreadKind.Control);
            foreach (Action work in _work.GetConsumingEnumerable())
            {
                work();
            }
        }) { Name = "vmm-control", IsBackground = true }.Start();

        public Task<TReply> SendAsync<TReply>(VmmRequest<TReply> request)
        {
            var reply = new TaskCompletionSource<TReply>(TaskCreationOptions.RunContinuationsAsynchronously);
            _work.Add(() =>
            {
                AnsweredOn = Thread.CurrentThread.Name ?? "?";
                if (request is GetVmInfo)
                {
                    reply.SetResult((TReply)(object)new VmInfo(VmState.Running, "s0", 1, 1L << 20, "none", "", Environment.ProcessId, []));
                }
                else
                {
                    reply.SetException(new NotSupportedException("confine-check answers vm.info only"));
                }
            });
            return reply.Task;
        }
    }
}
