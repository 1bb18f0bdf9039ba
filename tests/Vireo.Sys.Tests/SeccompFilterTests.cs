namespace Vireo.Sys.Tests;

/// <summary>
/// Filters installed for real, each on a thread of its own that ends with the test (seccomp
/// filters and no_new_privs belong to a thread and the threads it starts, so the test runner's
/// other threads stay free). The thread makes only the calls the filter is about plus what the
/// runtime needs to finish a thread.
/// </summary>
public sealed class SeccompFilterTests
{
    // What a managed thread needs to run these probes and end.
    private static readonly string[] s_threadNeeds =
    [
        "mmap", "munmap", "mprotect", "madvise", "futex", "sched_yield", "rt_sigprocmask", "rt_sigreturn", "sigaltstack",
        "tgkill", "gettid", "getpid", "exit", "close", "read", "write", "clock_gettime", "nanosleep", "membarrier",
        "sched_getaffinity", "set_robust_list", "rseq", "prctl", "newfstatat", "fstat", "openat", "brk",
    ];

    [Fact]
    public void A_call_outside_the_allowlist_fails_with_EPERM_while_an_allowed_one_works()
    {
        var filter = new SeccompFilter(SeccompAction.Errno).Allow(s_threadNeeds).Allow("eventfd2", "socket");
        var blocked = new SeccompFilter(SeccompAction.Errno).Allow(s_threadNeeds);

        Assert.Equal((0, 0), OnFilteredThread(filter, () => (SyscallProbe.EventFd(), SyscallProbe.Socket(1))));
        Assert.Equal((Errno.EPERM, Errno.EPERM), OnFilteredThread(blocked, () => (SyscallProbe.EventFd(), SyscallProbe.Socket(1))));
        // The rest of the process was never filtered.
        Assert.Equal(0, SyscallProbe.EventFd());
    }

    [Fact]
    public void Socket_can_be_limited_to_one_family()
    {
        var filter = new SeccompFilter(SeccompAction.Errno).Allow(s_threadNeeds).AllowIf("socket", 0, uint.MaxValue, 1);

        Assert.Equal((0, Errno.EPERM), OnFilteredThread(filter, () => (SyscallProbe.Socket(1), SyscallProbe.Socket(2))));
    }

    [Fact]
    public void Ioctl_can_be_limited_to_request_types_and_numbers()
    {
        using SafeFd devNull = SafeFd.Open("/dev/null", OpenFlags.ReadOnly);
        var filter = new SeccompFilter(SeccompAction.Errno).Allow(s_threadNeeds).AllowIoctlTypes(0xAE).AllowIoctls(0x5413);

        // Past the filter /dev/null answers ENOTTY to everything; the filter's refusal is EPERM.
        var results = OnFilteredThread(filter, () => (
            SyscallProbe.Ioctl(devNull, 0xAE00),          // KVM_GET_API_VERSION: the KVM type
            SyscallProbe.Ioctl(devNull, 0xC008AE05),      // KVM_GET_SUPPORTED_CPUID-like: still the KVM type
            SyscallProbe.Ioctl(devNull, 0x5413),          // TIOCGWINSZ: listed
            SyscallProbe.Ioctl(devNull, 0x5412),          // TIOCSTI: not listed
            SyscallProbe.Ioctl(devNull, unchecked((nuint)0x1_0000_AE00)))); // the kernel ignores the high half, and so does the filter

        Assert.Equal((Errno.ENOTTY, Errno.ENOTTY, Errno.ENOTTY, Errno.EPERM, Errno.ENOTTY), results);
        Assert.True(filter.AllowsIoctl(0xAE01));
        Assert.False(filter.AllowsIoctl(0x5412));
    }

    [Fact]
    public void Openat_can_be_limited_to_reading()
    {
        string dir = Directory.CreateTempSubdirectory("vireo-seccomp-").FullName;
        try
        {
            var filter = new SeccompFilter(SeccompAction.Errno).Allow(s_threadNeeds.Where(n => n != "openat")).AllowIf("openat", 2, 0x1 | 0x2 | 0x40 | 0x200, 0);

            var results = OnFilteredThread(filter, () => (
                SyscallProbe.OpenAt("/proc/self/status", 0),
                SyscallProbe.OpenAt(Path.Combine(dir, "new"), 0x40 | 0x1),
                SyscallProbe.OpenAt("/dev/null", 0x2)));

            Assert.Equal((0, Errno.EPERM, Errno.EPERM), results);
            Assert.False(File.Exists(Path.Combine(dir, "new")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Execve_is_refused_unless_allowed()
    {
        var filter = new SeccompFilter(SeccompAction.Errno).Allow(s_threadNeeds);
        var withExec = new SeccompFilter(SeccompAction.Errno).Allow(s_threadNeeds).Allow("execve");

        Assert.Equal(Errno.EPERM, OnFilteredThread(filter, () => SyscallProbe.Execve("/nonexistent/vireo")));
        Assert.Equal(Errno.ENOENT, OnFilteredThread(withExec, () => SyscallProbe.Execve("/nonexistent/vireo")));
    }

    [Fact]
    public void Clone3_fails_with_ENOSYS_so_that_glibc_falls_back_to_clone()
    {
        var filter = new SeccompFilter(SeccompAction.Errno).Allow(s_threadNeeds).Allow("clone3");

        // A null clone_args: were it to reach the kernel it would be EFAULT.
        Assert.Equal(Errno.ENOSYS, OnFilteredThread(filter, () => SyscallProbe.Call("clone3", 0, 88)));
    }

    [Fact]
    public void A_thread_started_by_a_filtered_thread_inherits_its_filter_and_clone_is_threads_only()
    {
        var filter = new SeccompFilter(SeccompAction.Errno).Allow(s_threadNeeds)
            .Allow("sched_setscheduler", "sched_getscheduler", "sched_getparam", "sched_get_priority_min", "sched_get_priority_max",
                "sched_setaffinity", "pipe2", "prlimit64", "getrusage", "uname")
            .AllowThreadCreation();

        int inner = OnFilteredThread(filter, () =>
        {
            int result = -1;
            var child = new Thread(() => result = SyscallProbe.Socket(1));
            child.Start();
            child.Join();
            return result;
        });

        Assert.Equal(Errno.EPERM, inner);
        Assert.True(filter.Allows("clone", SeccompFilter.CloneThread));
        Assert.False(filter.Allows("clone", 17 /* SIGCHLD: a fork */));
    }

    [Fact]
    public void An_unknown_syscall_name_is_refused_when_the_policy_is_written()
    {
        var e = Assert.Throws<ArgumentException>(() => new SeccompFilter(SeccompAction.Errno).Allow("sendfile64"));
        Assert.Contains("'sendfile64' is not an x86-64 Linux syscall", e.Message);
    }

    [Fact]
    public void The_program_checks_the_architecture_and_x32_first_and_ends_with_the_violation()
    {
        var program = new SeccompFilter(SeccompAction.KillProcess).Allow("read").Compile();

        Assert.Equal(SeccompFilter.ArchOffset, program[0].K);
        Assert.Equal(SeccompFilter.AuditArchX8664, program[1].K);
        Assert.Equal(SeccompFilter.RetKillProcess, program[2].K);
        Assert.Equal(SeccompFilter.X32SyscallBit, program[4].K);
        Assert.Equal(SeccompFilter.RetKillProcess, program[^1].K);
        Assert.Equal(SeccompFilter.RetErrno | Errno.EPERM, new SeccompFilter(SeccompAction.Errno).Compile()[^1].K);
        Assert.Equal(SeccompFilter.RetLog, new SeccompFilter(SeccompAction.Log).Compile()[^1].K);
    }

    private static T OnFilteredThread<T>(SeccompFilter filter, Func<T> probe)
    {
        T result = default!;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                filter.Install(allThreads: false);
                result = probe();
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        return failure is null ? result : throw new InvalidOperationException("the filtered thread failed", failure);
    }
}
