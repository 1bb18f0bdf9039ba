using System.Collections.Frozen;
using System.Runtime.InteropServices;
using Vireo.Sys;

namespace Vireo.Vmm;

/// <summary>
/// What each kind of Vireo thread may call, and the process-wide baseline (the union of every
/// kind, the API server, the runtime's own threads and what a reboot repeats of the setup).
/// The lists were found by tracing `vireo` and the test suite under strace -f and from the code
/// paths each thread runs; ARCHITECTURE.md (Confinement) says why each group is there. They name
/// x86-64 calls; for arm64, which lacks the legacy ones, <see cref="Arm64Replacements"/> says
/// what each becomes there, and a name arm64 has not and the table does not list throws.
/// </summary>
public static class SeccompPolicy
{
    // <asm-generic/fcntl.h>: the open flags that write, create or truncate.
    internal const uint OpenWriting = 0x1 /* O_WRONLY */ | 0x2 /* O_RDWR */ | 0x40 /* O_CREAT */ | 0x200 /* O_TRUNC */;

    // <linux/socket.h> AF_UNIX
    internal const uint AfUnix = 1;

    // <asm-generic/ioctl.h> type bytes: KVMIO (linux/kvm.h), VFIO_TYPE (linux/vfio.h; iommufd shares it).
    private const byte KvmIoctlType = 0xAE;
    private const byte VfioIoctlType = (byte)';';

    // <linux/if_tun.h> TUNSETOFFLOAD = _IOW('T', 208, unsigned int): virtio-net feature negotiation.
    internal static readonly nuint TunSetOffload = IoctlNumber.Iow('T', 208, sizeof(uint));

    // <asm-generic/ioctls.h>: the terminal requests the runtime's Console and RawTerminal make
    // (TCGETS, TCSETS, TCSETSW, TCSETSF, TIOCGWINSZ, FIONREAD, FIONBIO, FIOCLEX). TIOCSTI (which
    // would type into the user's terminal) is not among them.
    internal static readonly nuint[] TerminalIoctls = [0x5401, 0x5402, 0x5403, 0x5404, 0x5413, 0x541B, 0x5421, 0x5451];

    /// <summary>The calls the lists name that x86-64 has and arm64 (the asm-generic numbering) has
    /// not, each with what glibc and the runtime call there instead; empty where arm64 needs no
    /// call at all. Every other name in the lists exists on both.</summary>
    internal static readonly FrozenDictionary<string, string[]> Arm64Replacements = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        // glibc's time() reads clock_gettime (the vDSO's, falling back to the syscall).
        ["time"] = ["clock_gettime"],
        ["stat"] = ["newfstatat"],
        ["lstat"] = ["newfstatat"],
        ["access"] = ["faccessat"],
        ["readlink"] = ["readlinkat"],
        ["poll"] = ["ppoll"],
        ["epoll_wait"] = ["epoll_pwait"],
        // rmdir is unlinkat with AT_REMOVEDIR.
        ["unlink"] = ["unlinkat"],
        ["rmdir"] = ["unlinkat"],
        ["dup2"] = ["dup3"],
        // glibc 2.39 and later use fchmodat2 when flags are given, fchmodat otherwise.
        ["chmod"] = ["fchmodat", "fchmodat2"],
        ["mkdir"] = ["mkdirat"],
        ["rename"] = ["renameat", "renameat2"],
        ["getpgrp"] = ["getpgid"],
        // glibc's vfork and fork are clone without CLONE_THREAD (only hooks allow it, and then
        // for any flags).
        ["vfork"] = ["clone"],
        ["fork"] = ["clone"],
        // The thread pointer (TPIDR_EL0) is set from user space: there is no arch_prctl.
        ["arch_prctl"] = [],
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>The names <paramref name="name"/> (an x86-64 name, as the lists use) stands for on
    /// <paramref name="architecture"/>: itself where the call exists there, else its listed
    /// replacements; a name that is neither throws, so no call is dropped without a word.</summary>
    public static IReadOnlyList<string> Resolve(SyscallArchitecture architecture, string name)
    {
        if (LinuxSyscalls.Exists(architecture, name))
        {
            return [name];
        }
        if (architecture == SyscallArchitecture.Arm64 && Arm64Replacements.TryGetValue(name, out string[]? replacements))
        {
            return replacements;
        }
        throw new ArgumentException($"'{name}' is not a {architecture} syscall and the policy names no replacement for it", nameof(name));
    }

    /// <summary>What the .NET runtime does on any thread running managed code: memory (GC, JIT and
    /// its W^X double mapping), futexes, GC suspension by signals, thread start-up (a GC or the
    /// thread pool may start a thread from any thread), time, and reads of files it already holds
    /// or opens read-only (the GC reads cgroup and /proc files when it runs).</summary>
    internal static readonly string[] RuntimeBase =
    [
        "mmap", "munmap", "mprotect", "madvise", "mremap", "brk", "membarrier", "ftruncate",
        "futex", "sched_yield", "nanosleep", "clock_nanosleep", "clock_gettime", "clock_getres", "gettimeofday", "time",
        "sched_getaffinity", "sched_setaffinity", "sched_getscheduler", "sched_setscheduler", "sched_getparam",
        "sched_get_priority_min", "sched_get_priority_max", "getrusage", "sysinfo", "getcpu", "get_mempolicy", "prlimit64", "uname",
        "rt_sigprocmask", "rt_sigreturn", "rt_sigaction", "rt_sigtimedwait", "sigaltstack", "gettid", "getpid", "getuid", "geteuid",
        "set_robust_list", "rseq", "prctl", "exit", "exit_group", "pipe2",
        "read", "write", "readv", "writev", "pread64", "pwrite64", "close", "fstat", "newfstatat", "statx", "lseek",
        "fcntl", "readlink", "lstat", "stat", "access", "faccessat2", "getdents64", "getrandom", "poll", "ppoll",
        // FileStream: flock for its sharing mode, posix_fadvise, the file system's type.
        "flock", "fadvise64", "fstatfs", "statfs",
        // --footprint samples guest RAM's residency (on the vCPU thread before its first entry).
        "mincore",
    ];

    /// <summary>A vCPU: the runtime, every KVM and VFIO ioctl (KVM_RUN, interrupt injection, BAR
    /// slots, irqfd routing, VFIO_DEVICE_SET_IRQS when the guest enables MSI-X) plus TUNSETOFFLOAD,
    /// region access on held descriptors (vfio pread/pwrite, eventfd doorbells, console output,
    /// disk I/O if a queue is served inline), the vfio-user client's messages, eventfd and epoll
    /// registration for newly enabled vectors. No open for writing, no socket, no bind or
    /// connect, no process creation, no execve.</summary>
    public static SeccompFilter Vcpu(SeccompAction violation) => Vcpu(violation, Host);

    /// <summary>The vCPU filter for <paramref name="architecture"/>.</summary>
    public static SeccompFilter Vcpu(SeccompAction violation, SyscallArchitecture architecture) => WithRuntime(violation, architecture)
        .AllowIoctlTypes(KvmIoctlType, VfioIoctlType)
        .AllowIoctls(TunSetOffload)
        .AllowResolved("preadv", "pwritev", "preadv2", "pwritev2", "fdatasync", "fsync", "fallocate",
            "sendmsg", "recvmsg", "sendto", "recvfrom", "eventfd2", "epoll_ctl", "dup",
            // A guest's device reset runs on the vCPU that wrote the status: virtio-vsock closes
            // its host connections (shutdown, close) and re-arms its deadline timer (the lab's
            // vsock test failed on timerfd_settime).
            "timerfd_settime", "timerfd_gettime", "shutdown",
            // ... and a disk's reset waits out its requests in its io_uring.
            "io_uring_enter");

    /// <summary>A device thread: the runtime, epoll and eventfds, disk I/O (virtio-blk:
    /// preadv/pwritev, fdatasync, fallocate for discard, io_uring_enter on the ring made with the
    /// disk before confinement; no thread may make another, io_uring_setup is refused everywhere), tap frames (read/write/readv/writev),
    /// vsock's host side (AF_UNIX sockets only: socket, connect, accept4, send and receive,
    /// shutdown; its timerfd), KVM's ioctls (interrupt injection) and TUNSETOFFLOAD. No VFIO or
    /// terminal ioctl, no open for writing, no execve.</summary>
    public static SeccompFilter Device(SeccompAction violation) => Device(violation, Host);

    /// <summary>The device filter for <paramref name="architecture"/>.</summary>
    public static SeccompFilter Device(SeccompAction violation, SyscallArchitecture architecture) => WithRuntime(violation, architecture)
        // KVM's ioctls: a device thread injects interrupts itself (KVM_IRQ_LINE for INTx and the
        // UART's line on console input, KVM_SIGNAL_MSI, irqfd routing under the transport's lock).
        .AllowIoctlTypes(KvmIoctlType)
        .AllowIoctls(TunSetOffload)
        .AllowResolved("epoll_wait", "epoll_pwait", "epoll_ctl", "epoll_create1", "eventfd2", "timerfd_settime", "timerfd_gettime",
            "preadv", "pwritev", "preadv2", "pwritev2", "fdatasync", "fsync", "fallocate", "io_uring_enter",
            "sendmsg", "recvmsg", "sendto", "recvfrom", "connect", "accept4", "shutdown", "getsockopt", "setsockopt",
            "getsockname", "getpeername", "dup")
        .AllowIf("socket", 0, uint.MaxValue, AfUnix);

    /// <summary>The control loop: what the vCPUs and devices do (it calls into them while they
    /// are held), plus building a machine again on reboot (opening files of any kind, memfds,
    /// timers, KVM), writing a snapshot (a new directory, its files, a rename), and with
    /// <paramref name="hooks"/> starting host commands.</summary>
    public static SeccompFilter Control(SeccompAction violation, bool hooks) => Control(violation, hooks, Host);

    /// <summary>The control filter for <paramref name="architecture"/>.</summary>
    public static SeccompFilter Control(SeccompAction violation, bool hooks, SyscallArchitecture architecture)
    {
        SeccompFilter filter = Device(violation, architecture)
            .AllowIoctlTypes(KvmIoctlType, VfioIoctlType)
            .AllowResolved("openat", "memfd_create", "timerfd_create", "timerfd_settime", "timerfd_gettime", "unlink", "dup2", "dup3",
                // vm.snapshot: the control thread creates the snapshot's directory and renames
                // its finished document into place.
                "mkdir", "rename");
        return hooks ? WithProcesses(filter) : filter;
    }

    /// <summary>The process-wide baseline, installed on every thread at once: the union of the
    /// kinds, the API server (thread-pool threads: accept4, its AF_UNIX sockets, removing its
    /// socket at the end), the console (the terminal's ioctls, its socket), signals and the
    /// runtime's own threads. Refused everywhere: execve and fork (unless
    /// <paramref name="hooks"/>), ptrace, mount, bpf, kexec, module loading, sockets other than
    /// AF_UNIX, setuid and friends, other ioctls (TIOCSTI among them), signals to other processes.</summary>
    public static SeccompFilter Baseline(SeccompAction violation, bool hooks) => Baseline(violation, hooks, Host);

    /// <summary>The baseline for <paramref name="architecture"/>.</summary>
    public static SeccompFilter Baseline(SeccompAction violation, bool hooks, SyscallArchitecture architecture)
    {
        SeccompFilter filter = Control(violation, hooks: false, architecture)
            .AllowIoctls(TerminalIoctls)
            .AllowIf("kill", 0, uint.MaxValue, (uint)Environment.ProcessId)
            // seccomp: each Vireo thread narrows itself to its kind after this is installed.
            .AllowResolved("seccomp", "bind", "listen", "socketpair", "umask", "getsockname", "getpeername", "chmod", "fchmod",
                "rt_sigtimedwait", "rt_sigsuspend", "rt_sigqueueinfo", "getcwd",
                "wait4", "waitid", "getppid", "getgid", "getegid", "getresuid", "getresgid", "getgroups", "sched_getattr",
                "mkdir", "rename", "rmdir", "setsid", "getsid", "getpgrp", "getpgid", "inotify_init1", "inotify_add_watch", "inotify_rm_watch");
        return hooks ? WithProcesses(filter) : filter;
    }

    private static SyscallArchitecture Host => LinuxSyscalls.HostArchitecture ?? throw new ConfinementException(
        $"Vireo's seccomp filters know x86-64 and arm64 syscall numbers only and this host is {RuntimeInformation.ProcessArchitecture}: run with --seccomp off");

    private static SeccompFilter WithRuntime(SeccompAction violation, SyscallArchitecture architecture) => new SeccompFilter(violation, architecture)
        .AllowResolved(RuntimeBase)
        // Every kind may add a filter to itself: a thread the control thread starts (vCPUs,
        // device workers, events-NAME, on every build) carries the control kind's filter and
        // then narrows itself to its own. A filter can only take calls away.
        .AllowResolved("seccomp")
        .AllowThreadCreation()
        .AllowIf("openat", 2, OpenWriting, 0)
        // Signals to this process's own threads only (GC suspension, thread kicks): pids are
        // fixed for the process's life, so the filter can name ours.
        .AllowIf("tgkill", 0, uint.MaxValue, (uint)Environment.ProcessId);

    // Host hooks: the runtime starts /bin/sh with vfork (clone without CLONE_THREAD) and execve;
    // the shell then runs under the same filter, so it needs what a shell does.
    // Process.Start also reads and sets the terminal's modes around a child (TCGETS, TCSETS).
    // (On arm64 the shell's loader has no arch_prctl to make.)
    private static SeccompFilter WithProcesses(SeccompFilter filter) => filter
        .AllowIoctls(TerminalIoctls)
        .AllowIf("clone", 0, 0, 0)
        .AllowResolved("vfork", "execve", "wait4", "waitid", "dup2", "dup3", "setpgid", "getppid", "arch_prctl", "set_tid_address",
            "chdir", "getcwd", "umask", "getgid", "getegid");

    // Allows each name as the filter's architecture spells it (see Resolve).
    private static SeccompFilter AllowResolved(this SeccompFilter filter, params IEnumerable<string> names) =>
        filter.Allow(names.SelectMany(name => Resolve(filter.Architecture, name)));
}
