using Vireo.Sys;

namespace Vireo.Vmm.Tests.Confinement;

/// <summary>The allowlists as data: the baseline (installed first, on every thread) must allow
/// all that a kind does, or the kind's own filter could never be reached; and what each refuses
/// is what the confinement is for.</summary>
public sealed class SeccompPolicyTests
{
    // <linux/socket.h>, <asm-generic/fcntl.h>, <linux/sched.h>, <asm-generic/ioctls.h>
    private const ulong AfUnix = 1, AfInet = 2, AfNetlink = 16, OCreat = 0x40, OWronly = 1, CloneThread = 0x10000, Sigchld = 17, Tiocsti = 0x5412;

    public static TheoryData<VmmThreadKind> Kinds() => new(Enum.GetValues<VmmThreadKind>());

    [Theory]
    [MemberData(nameof(Kinds))]
    public void The_baseline_allows_everything_a_kind_allows(VmmThreadKind kind)
    {
        SeccompFilter baseline = SeccompPolicy.Baseline(SeccompAction.Errno, hooks: false);
        SeccompFilter filter = VmmConfinement.FilterFor(kind, ConfinementMode.Errno, hooks: false);

        Assert.Equal([], filter.AllowedNames.Where(name => !baseline.Allows(name)).ToArray());
        foreach (string name in filter.ConditionalNames)
        {
            Assert.True(baseline.Allows(name) || name is "openat" or "socket" or "ioctl" or "clone" or "tgkill", name);
        }
        Assert.True(baseline.Allows("socket", AfUnix));
        Assert.True(baseline.Allows("openat", 0, 0, OCreat | OWronly));
        Assert.True(baseline.AllowsIoctl(0xAE80)); // KVM_RUN
        Assert.True(baseline.AllowsIoctl(0x3B6E)); // VFIO_DEVICE_SET_IRQS
        Assert.True(baseline.Allows("clone", CloneThread));
        Assert.True(baseline.Allows("seccomp"));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void The_control_kind_allows_everything_a_kind_allows_and_every_kind_may_narrow_itself(VmmThreadKind kind)
    {
        // The control thread starts the vCPU, device and events threads (on every machine build):
        // each inherits the control kind's filter, installs its own on top (so `seccomp` must be
        // allowed under the control filter) and then runs under both, which must leave its own.
        // The lab found the first: console-input and irq-events died with EPERM from seccomp.
        SeccompFilter control = VmmConfinement.FilterFor(VmmThreadKind.Control, ConfinementMode.Errno, hooks: false);
        SeccompFilter filter = VmmConfinement.FilterFor(kind, ConfinementMode.Errno, hooks: false);

        Assert.True(control.Allows("seccomp"));
        Assert.True(filter.Allows("seccomp"));
        Assert.Equal([], filter.AllowedNames.Where(name => !control.Allows(name)).ToArray());
        Assert.True(control.AllowsIoctl(0xAE80)); // KVM_RUN
        Assert.True(control.AllowsIoctl(0x3B6E)); // VFIO_DEVICE_SET_IRQS
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Every_kind_keeps_what_the_runtime_does_on_any_thread(VmmThreadKind kind)
    {
        SeccompFilter filter = VmmConfinement.FilterFor(kind, ConfinementMode.Errno, hooks: false);

        Assert.Equal([], SeccompPolicy.RuntimeBase.SelectMany(name => SeccompPolicy.Resolve(filter.Architecture, name)).Where(name => !filter.Allows(name)).ToArray());
        Assert.True(filter.Allows("clone", CloneThread));
        Assert.True(filter.Allows("openat", 0, 0, 0));
    }

    [Theory]
    [InlineData("execve")]
    [InlineData("execveat")]
    [InlineData("fork")]
    [InlineData("vfork")]
    [InlineData("ptrace")]
    [InlineData("process_vm_writev")]
    [InlineData("mount")]
    [InlineData("umount2")]
    [InlineData("pivot_root")]
    [InlineData("chroot")]
    [InlineData("unshare")]
    [InlineData("setns")]
    [InlineData("bpf")]
    [InlineData("perf_event_open")]
    [InlineData("kexec_load")]
    [InlineData("init_module")]
    [InlineData("finit_module")]
    [InlineData("setuid")]
    [InlineData("setresuid")]
    [InlineData("capset")]
    [InlineData("keyctl")]
    [InlineData("userfaultfd")]
    [InlineData("reboot")]
    // A new io_uring, or one registered anew, would do its work on kernel threads beyond seccomp;
    // a disk's ring is made before confinement and confined to its image.
    [InlineData("io_uring_setup")]
    [InlineData("io_uring_register")]
    public void The_baseline_refuses_everywhere(string name)
    {
        SeccompFilter baseline = SeccompPolicy.Baseline(SeccompAction.Errno, hooks: false);

        // On arm64, fork and vfork are clone without CLONE_THREAD.
        foreach (string call in SeccompPolicy.Resolve(baseline.Architecture, name))
        {
            Assert.False(baseline.Allows(call, 0, 0, 0), call);
        }
    }

    [Fact]
    public void The_baseline_refuses_processes_other_sockets_and_terminal_injection()
    {
        SeccompFilter baseline = SeccompPolicy.Baseline(SeccompAction.Errno, hooks: false);

        Assert.False(baseline.Allows("clone", Sigchld));
        Assert.False(baseline.Allows("socket", AfInet));
        Assert.False(baseline.Allows("socket", AfNetlink));
        Assert.False(baseline.AllowsIoctl((nuint)Tiocsti));
        Assert.True(baseline.AllowsIoctl(0x5413)); // TIOCGWINSZ, for a resized terminal
        Assert.True(baseline.Allows("kill", (ulong)Environment.ProcessId));
        Assert.False(baseline.Allows("kill", 1));
        Assert.True(baseline.Allows("tgkill", (ulong)Environment.ProcessId));
        Assert.False(baseline.Allows("tgkill", 1));
    }

    [Fact]
    public void Host_hooks_add_process_creation_and_nothing_else_is_needed_for_them()
    {
        SeccompFilter withHooks = SeccompPolicy.Baseline(SeccompAction.Errno, hooks: true);
        SeccompFilter control = SeccompPolicy.Control(SeccompAction.Errno, hooks: true);

        Assert.True(withHooks.Allows("execve"));
        Assert.True(withHooks.Allows("clone", Sigchld));
        Assert.True(control.Allows("execve"));
        Assert.False(withHooks.Allows("ptrace"));
    }

    [Fact]
    public void A_vcpu_reaches_only_held_descriptors_and_kvm()
    {
        SeccompFilter vcpu = SeccompPolicy.Vcpu(SeccompAction.Errno);

        foreach (string name in new[] { "connect", "bind", "listen", "accept4", "execve", "kill", "unlink", "mkdir", "rename" }
            .SelectMany(n => SeccompPolicy.Resolve(vcpu.Architecture, n)))
        {
            Assert.False(vcpu.Allows(name, 0, 0, 0), name);
        }
        Assert.False(vcpu.Allows("socket", AfUnix));
        Assert.False(vcpu.Allows("openat", 0, 0, OCreat | OWronly));
        Assert.True(vcpu.AllowsIoctl(0xAE80)); // KVM_RUN
        Assert.False(vcpu.AllowsIoctl(0x400454CA)); // TUNSETIFF: no attaching to another tap
        Assert.True(vcpu.AllowsIoctl(0x400454D0)); // TUNSETOFFLOAD: feature negotiation
        Assert.True(vcpu.Allows("sendmsg"));
        Assert.True(vcpu.Allows("pwrite64"));
    }

    [Fact]
    public void A_device_thread_injects_interrupts_but_has_no_vfio_and_only_unix_sockets()
    {
        SeccompFilter device = SeccompPolicy.Device(SeccompAction.Errno);

        Assert.True(device.AllowsIoctl(0x4008AE61)); // KVM_IRQ_LINE
        Assert.False(device.AllowsIoctl(0x3B6E));
        Assert.True(device.Allows("socket", AfUnix));
        Assert.False(device.Allows("socket", AfInet));
        Assert.True(device.Allows("fdatasync"));
        Assert.True(device.Allows("fallocate"));
        Assert.True(SeccompPolicy.Resolve(device.Architecture, "epoll_wait").All(device.Allows));
        Assert.False(device.Allows("execve"));
    }
}
