using Vireo.TestSupport;

namespace Vireo.Sys.Tests;

/// <summary>
/// Compiled filters run in a classic BPF interpreter on synthetic seccomp_data, for x86-64 and
/// arm64 alike: the audit architecture is checked first, x32 numbers are refused on x86-64 only,
/// and for every number in the architecture's table the program answers what the filter's own
/// model (<see cref="SeccompFilter.Allows(string, ReadOnlySpan{ulong})"/>) says. An arm64 filter
/// cannot be installed here; this is how its numbers are proven to land where they should.
/// </summary>
public sealed class SeccompProgramTests
{
    private const uint AuditArchArm = 0x40000028; // <linux/audit.h> AUDIT_ARCH_ARM: an AArch32 task on arm64
    private const uint AuditArchI386 = 0x40000003; // AUDIT_ARCH_I386: int 0x80 on x86-64
    private const uint EnosysReturn = SeccompFilter.RetErrno | 38;
    private const uint EpermReturn = SeccompFilter.RetErrno | 1;

    public static TheoryData<SyscallArchitecture> Architectures() => new(Enum.GetValues<SyscallArchitecture>());

    private static SeccompFilter Sample(SyscallArchitecture architecture, SeccompAction violation = SeccompAction.Errno) =>
        new SeccompFilter(violation, architecture)
            .Allow("read", "write", "openat", "futex", "ppoll")
            .AllowIf("socket", 0, uint.MaxValue, 1)
            .AllowIoctlTypes(0xAE)
            .AllowIoctls(0x5413)
            .AllowThreadCreation();

    [Theory]
    [MemberData(nameof(Architectures))]
    public void Every_number_of_the_architecture_meets_what_the_filter_allows(SyscallArchitecture architecture)
    {
        SeccompFilter filter = Sample(architecture);
        uint arch = AuditArch(architecture);

        foreach ((string name, int number) in LinuxSyscalls.Table(architecture))
        {
            uint expected = name == "clone3" ? EnosysReturn : filter.Allows(name) ? SeccompFilter.RetAllow : EpermReturn;
            Assert.True(expected == Run(filter, number, arch), $"{architecture} {name} ({number})");
        }
        // A number past the table (a newer kernel's call) is a violation too.
        Assert.Equal(EpermReturn, Run(filter, 1000, arch));
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void Argument_conditions_read_the_low_half_of_the_right_argument(SyscallArchitecture architecture)
    {
        SeccompFilter filter = Sample(architecture);
        uint arch = AuditArch(architecture);
        int socket = LinuxSyscalls.Number(architecture, "socket"), ioctl = LinuxSyscalls.Number(architecture, "ioctl"), clone = LinuxSyscalls.Number(architecture, "clone");

        Assert.Equal(SeccompFilter.RetAllow, Run(filter, socket, arch, 1, 1));
        Assert.Equal(EpermReturn, Run(filter, socket, arch, 2, 1));
        Assert.Equal(EpermReturn, Run(filter, socket, arch, 0, 1));
        Assert.Equal(SeccompFilter.RetAllow, Run(filter, ioctl, arch, 3, 0xAE80));
        // The kernel takes the request as an unsigned int: the high half is not compared.
        Assert.Equal(SeccompFilter.RetAllow, Run(filter, ioctl, arch, 3, 0xFFFF_FFFF_0000_AE80));
        Assert.Equal(SeccompFilter.RetAllow, Run(filter, ioctl, arch, 3, 0x5413));
        Assert.Equal(EpermReturn, Run(filter, ioctl, arch, 3, 0x5412)); // TIOCSTI
        Assert.Equal(EpermReturn, Run(filter, ioctl, arch, 0xAE80, 0)); // the type in the wrong argument
        // CLONE_THREAD is in arg0 on both (arm64 is CONFIG_CLONE_BACKWARDS: flags, newsp, ptid, tls, ctid).
        Assert.Equal(SeccompFilter.RetAllow, Run(filter, clone, arch, 0x3d0f00, 0));
        Assert.Equal(EpermReturn, Run(filter, clone, arch, 17 /* SIGCHLD: fork */, 0x10000));
        foreach (ulong[] arguments in new ulong[][] { [1, 1], [2, 1], [3, 0xAE80], [3, 0x5412], [0x3d0f00], [17, 0x10000] })
        {
            foreach (string name in new[] { "socket", "ioctl", "clone" })
            {
                uint expected = filter.Allows(name, arguments) ? SeccompFilter.RetAllow : EpermReturn;
                Assert.Equal(expected, Run(filter, LinuxSyscalls.Number(architecture, name), arch, arguments));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void Another_architecture_is_killed_whatever_the_number(SyscallArchitecture architecture)
    {
        SeccompFilter filter = Sample(architecture);
        int read = LinuxSyscalls.Number(architecture, "read");

        Assert.Equal(SeccompFilter.RetAllow, Run(filter, read, AuditArch(architecture)));
        foreach (uint other in new[] { AuditArch(Other(architecture)), AuditArchArm, AuditArchI386, 0u })
        {
            Assert.Equal(SeccompFilter.RetKillProcess, Run(filter, read, other));
        }
    }

    [Fact]
    public void X32_numbers_are_killed_on_x86_64_and_arm64_has_no_such_alias()
    {
        SeccompFilter x86 = Sample(SyscallArchitecture.X64);
        SeccompFilter arm64 = Sample(SyscallArchitecture.Arm64);
        int x32Read = (int)SeccompFilter.X32SyscallBit | LinuxSyscalls.X64["read"];

        Assert.Equal(SeccompFilter.RetKillProcess, Run(x86, x32Read, SeccompFilter.AuditArchX8664));
        // On arm64 such a number is merely one no table has: the violation, not a kill.
        Assert.Equal(EpermReturn, Run(arm64, (int)SeccompFilter.X32SyscallBit | LinuxSyscalls.Arm64["read"], SeccompFilter.AuditArchAarch64));
        Assert.True(x86.Compile().Length == arm64.Compile().Length + 2);
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void The_violation_is_the_mode_chosen(SyscallArchitecture architecture)
    {
        int mkdirat = LinuxSyscalls.Number(architecture, "mkdirat");
        uint arch = AuditArch(architecture);

        Assert.Equal(EpermReturn, Run(Sample(architecture, SeccompAction.Errno), mkdirat, arch));
        Assert.Equal(SeccompFilter.RetKillProcess, Run(Sample(architecture, SeccompAction.KillProcess), mkdirat, arch));
        Assert.Equal(SeccompFilter.RetLog, Run(Sample(architecture, SeccompAction.Log), mkdirat, arch));
    }

    [Fact]
    public void Names_are_the_filters_architectures()
    {
        var arm64 = new SeccompFilter(SeccompAction.Errno, SyscallArchitecture.Arm64);

        Assert.Throws<ArgumentException>(() => arm64.Allow("open"));
        Assert.Throws<ArgumentException>(() => arm64.Allows("epoll_wait"));
        Assert.Equal(["epoll_pwait"], arm64.Allow("epoll_pwait").AllowedNames);
        Assert.Equal(LinuxSyscalls.HostArchitecture, new SeccompFilter(SeccompAction.Errno).Architecture);
        // Numbers differ: arm64's 63 is read, x86-64's 63 is uname.
        Assert.Equal(63, LinuxSyscalls.Arm64["read"]);
        Assert.Equal(63, LinuxSyscalls.X64["uname"]);
    }

    [Fact]
    public void A_filter_for_the_other_architecture_is_not_installed()
    {
        SyscallArchitecture other = Other(LinuxSyscalls.HostArchitecture!.Value);
        var foreign = new SeccompFilter(SeccompAction.Errno, other).Allow("read");

        Assert.Throws<ConfinementException>(() => foreign.Install(allThreads: false));
    }

    [Fact]
    public void The_interpreter_refuses_what_the_kernel_refuses()
    {
        BpfInstruction ret = new(0x06, 0, 0, SeccompFilter.RetAllow);

        Assert.Throws<InvalidOperationException>(() => ClassicBpf.Run([], ClassicBpf.SeccompData(0, 0)));
        Assert.Throws<InvalidOperationException>(() => ClassicBpf.Run([new(0x20, 0, 0, 64), ret], ClassicBpf.SeccompData(0, 0))); // load past the data
        Assert.Throws<InvalidOperationException>(() => ClassicBpf.Run([new(0x20, 0, 0, 2), ret], ClassicBpf.SeccompData(0, 0))); // unaligned
        Assert.Throws<InvalidOperationException>(() => ClassicBpf.Run([new(0x15, 1, 0, 0), ret], ClassicBpf.SeccompData(0, 0))); // jump past the end
        Assert.Throws<InvalidOperationException>(() => ClassicBpf.Run([new(0x20, 0, 0, 0)], ClassicBpf.SeccompData(0, 0))); // no RET at the end
        Assert.Equal(SeccompFilter.RetAllow, ClassicBpf.Run([ret], ClassicBpf.SeccompData(0, 0)));
    }

    internal static uint AuditArch(SyscallArchitecture architecture) =>
        architecture == SyscallArchitecture.X64 ? SeccompFilter.AuditArchX8664 : SeccompFilter.AuditArchAarch64;

    private static SyscallArchitecture Other(SyscallArchitecture architecture) =>
        architecture == SyscallArchitecture.X64 ? SyscallArchitecture.Arm64 : SyscallArchitecture.X64;

    private static uint Run(SeccompFilter filter, int nr, uint arch, params ulong[] arguments) =>
        ClassicBpf.Run([.. filter.Compile().Select(i => new BpfInstruction(i.Code, i.JumpTrue, i.JumpFalse, i.K))], ClassicBpf.SeccompData(nr, arch, arguments));
}
