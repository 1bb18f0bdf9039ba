using System.Reflection;
using Vireo.Sys;

namespace Vireo.Vmm;

/// <summary>
/// Confinement of the whole VMM process, once its setup is done: <see cref="Activate"/> drops
/// capabilities, sets PR_SET_NO_NEW_PRIVS and installs the baseline seccomp filter on every
/// thread (TSYNC); from then on each dedicated Vireo thread calls <see cref="EnterThread"/> as it
/// starts and narrows itself to its kind's filter. Process-wide on purpose: seccomp, capabilities
/// and NNP are properties of the process's threads, not of an object.
/// </summary>
public static class VmmConfinement
{
    private static readonly Lock s_lock = new();
    private static ConfinementMode s_mode = ConfinementMode.Off;
    private static bool s_hooks;
    private static bool s_active;

    /// <summary>Whether <see cref="Activate"/> has run in this process.</summary>
    public static bool IsActive => Volatile.Read(ref s_active);

    /// <summary>The mode <see cref="Activate"/> was given.</summary>
    public static ConfinementMode Mode => s_mode;

    /// <summary>
    /// Confines the process. <paramref name="keepCapabilities"/> are kept (CAP_IPC_LOCK for
    /// kernel VFIO, whose DMA maps on each machine build pin guest RAM); every other capability
    /// goes. <paramref name="hooks"/> says host hook commands will be started, which the filters
    /// then allow. Call it once, after the descriptors, sockets and taps exist and before the
    /// control loop starts; a second call throws. With <see cref="ConfinementMode.Off"/> only the
    /// privileges are dropped. With <paramref name="user"/> (<c>--user</c>) the whole process
    /// switches to that user first: capabilities are per thread, so dropping them on this one
    /// leaves the runtime threads started before (the GC's, the thread pool's) with root's, and
    /// only leaving uid 0 on every thread (glibc's setxid broadcast) takes them from all. No
    /// capability can be kept across the switch.
    /// </summary>
    public static void Activate(ConfinementMode mode, bool hooks, UserIdentity? user, params IEnumerable<int> keepCapabilities)
    {
        int[] keep = [.. keepCapabilities];
        if (user is not null && keep.Length > 0)
        {
            throw new ArgumentException("no capability can be kept across a switch to another user", nameof(keepCapabilities));
        }
        lock (s_lock)
        {
            if (s_active)
            {
                throw new InvalidOperationException("the VMM is already confined");
            }
            PrepareRuntime();
            if (user is not null)
            {
                // The bounding set needs CAP_SETPCAP and the switch CAP_SETUID/CAP_SETGID: both
                // while this thread still holds them.
                ProcessPrivileges.DropBoundingSet();
                ProcessPrivileges.SwitchUser(user);
            }
            // The bounding set needs CAP_SETPCAP, which the capset below gives up: in this order.
            ProcessPrivileges.DropAllCapabilities(keep);
            ProcessPrivileges.SetNoNewPrivileges();
            if (mode != ConfinementMode.Off)
            {
                SeccompPolicy.Baseline(ActionOf(mode), hooks).Install(allThreads: true);
            }
            s_mode = mode;
            s_hooks = hooks;
            Volatile.Write(ref s_active, true);
        }
    }

    /// <summary>Narrows the calling thread to <paramref name="kind"/>'s filter if the process is
    /// confined (a no-op otherwise, as in tests and benchmarks). Call it first thing on the thread.</summary>
    public static void EnterThread(VmmThreadKind kind)
    {
        if (!IsActive || s_mode == ConfinementMode.Off)
        {
            return;
        }
        try
        {
            FilterFor(kind, s_mode, s_hooks).Install(allThreads: false);
        }
        catch (Exception e) when (e is ErrnoException or ConfinementException)
        {
            // The thread still runs under the process-wide baseline: say so, once per thread,
            // rather than take the VMM down from a thread's first line.
            Console.Error.WriteLine($"vireo: warning: thread '{Thread.CurrentThread.Name}' could not narrow itself to the {kind} seccomp filter ({e.Message}); it runs under the process-wide baseline");
        }
    }

    /// <summary>The filter a thread of <paramref name="kind"/> gets under <paramref name="mode"/>
    /// (not <see cref="ConfinementMode.Off"/>).</summary>
    public static SeccompFilter FilterFor(VmmThreadKind kind, ConfinementMode mode, bool hooks) => kind switch
    {
        VmmThreadKind.Vcpu => SeccompPolicy.Vcpu(ActionOf(mode)),
        VmmThreadKind.Device => SeccompPolicy.Device(ActionOf(mode)),
        VmmThreadKind.Control => SeccompPolicy.Control(ActionOf(mode), hooks),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>As <see cref="FilterFor(VmmThreadKind, ConfinementMode, bool)"/>, for
    /// <paramref name="architecture"/>'s syscall numbers (to inspect another host's filter).</summary>
    public static SeccompFilter FilterFor(VmmThreadKind kind, ConfinementMode mode, bool hooks, SyscallArchitecture architecture) => kind switch
    {
        VmmThreadKind.Vcpu => SeccompPolicy.Vcpu(ActionOf(mode), architecture),
        VmmThreadKind.Device => SeccompPolicy.Device(ActionOf(mode), architecture),
        VmmThreadKind.Control => SeccompPolicy.Control(ActionOf(mode), hooks, architecture),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>The seccomp action of a mode.</summary>
    public static SeccompAction ActionOf(ConfinementMode mode) => mode switch
    {
        ConfinementMode.Errno => SeccompAction.Errno,
        ConfinementMode.Kill => SeccompAction.KillProcess,
        ConfinementMode.Log => SeccompAction.Log,
        _ => throw new ArgumentOutOfRangeException(nameof(mode), "confinement is off: there is no filter"),
    };

    // What the runtime would otherwise do lazily on a confined thread: load an assembly (openat
    // and mmap of a file on a vCPU thread), start the timer thread and the first pool workers
    // (threads inherit the filter of the thread that starts them).
    private static void PrepareRuntime()
    {
        // Native AOT compiled everything in: there is no assembly file to load later.
        if (System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeSupported)
        {
            PreloadAssemblies();
        }
        using var started = new ManualResetEventSlim();
        using (new Timer(_ => started.Set(), null, 0, Timeout.Infinite))
        {
            started.Wait();
        }
        ThreadPool.GetMinThreads(out int workers, out _);
        using var countdown = new CountdownEvent(workers);
        for (int i = 0; i < workers; i++)
        {
            ThreadPool.UnsafeQueueUserWorkItem(_ => countdown.Signal(), null);
        }
        countdown.Wait(TimeSpan.FromSeconds(5));
    }

    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2026",
        Justification = "Preloading only: a reference the trimmer removed is one nothing calls, and a failed load is skipped.")]
    private static void PreloadAssemblies()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Queue<Assembly>(AppDomain.CurrentDomain.GetAssemblies());
        while (pending.TryDequeue(out Assembly? assembly))
        {
            if (!seen.Add(assembly.FullName ?? assembly.ToString()))
            {
                continue;
            }
            foreach (AssemblyName reference in assembly.GetReferencedAssemblies())
            {
                if (seen.Contains(reference.FullName))
                {
                    continue;
                }
                try
                {
                    pending.Enqueue(Assembly.Load(reference));
                }
                catch (Exception e) when (e is FileNotFoundException or FileLoadException or BadImageFormatException)
                {
                    // A reference nothing will use (a facade absent from this runtime).
                }
            }
        }
    }
}
