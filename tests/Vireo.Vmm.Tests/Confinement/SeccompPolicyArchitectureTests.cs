using Vireo.Sys;
using Vireo.TestSupport;

namespace Vireo.Vmm.Tests.Confinement;

/// <summary>
/// The policy on both syscall ABIs: every name it uses exists on x86-64 and arm64 or is listed as
/// x86-only with what arm64 calls instead (building a filter throws otherwise), nothing x86-64
/// allows is lost on arm64, the argument conditions carry over (their constants checked by both C
/// oracles), and each kind's compiled program, run in a BPF interpreter on synthetic
/// seccomp_data, answers what the lists say for every number of the architecture.
/// </summary>
public sealed class SeccompPolicyArchitectureTests
{
    private const ulong CloneThread = 0x10000, Sigchld = 17, OCreat = 0x40, OWronly = 1, AfInet = 2;

    public static TheoryData<VmmThreadKind, SyscallArchitecture> KindsOnBoth()
    {
        var data = new TheoryData<VmmThreadKind, SyscallArchitecture>();
        foreach (VmmThreadKind kind in Enum.GetValues<VmmThreadKind>())
        {
            foreach (SyscallArchitecture architecture in Enum.GetValues<SyscallArchitecture>())
            {
                data.Add(kind, architecture);
            }
        }
        return data;
    }

    public static TheoryData<SyscallArchitecture> Architectures() => new(Enum.GetValues<SyscallArchitecture>());

    // Every filter the policy builds, by a readable name.
    private static IEnumerable<(string Name, SeccompFilter Filter)> Filters(SyscallArchitecture architecture)
    {
        foreach (bool hooks in new[] { false, true })
        {
            foreach (VmmThreadKind kind in Enum.GetValues<VmmThreadKind>())
            {
                yield return ($"{kind} hooks={hooks}", VmmConfinement.FilterFor(kind, ConfinementMode.Errno, hooks, architecture));
            }
            yield return ($"baseline hooks={hooks}", SeccompPolicy.Baseline(SeccompAction.Errno, hooks, architecture));
        }
    }

    [Fact]
    public void The_x86_only_calls_are_exactly_those_arm64_lacks_and_their_replacements_exist_there()
    {
        foreach ((string name, string[] replacements) in SeccompPolicy.Arm64Replacements)
        {
            Assert.True(LinuxSyscalls.X64.ContainsKey(name), name);
            Assert.False(LinuxSyscalls.Arm64.ContainsKey(name), name);
            Assert.All(replacements, r => Assert.True(LinuxSyscalls.Arm64.ContainsKey(r), $"{name} -> {r}"));
        }
        // Only arch_prctl has no counterpart: arm64 sets the thread pointer from user space.
        Assert.Equal(["arch_prctl"], SeccompPolicy.Arm64Replacements.Where(p => p.Value.Length == 0).Select(p => p.Key).ToArray());
        Assert.Equal(["epoll_pwait"], SeccompPolicy.Resolve(SyscallArchitecture.Arm64, "epoll_wait"));
        Assert.Equal(["epoll_wait"], SeccompPolicy.Resolve(SyscallArchitecture.X64, "epoll_wait"));
        Assert.Equal(["read"], SeccompPolicy.Resolve(SyscallArchitecture.Arm64, "read"));
        // A call arm64 lacks that the table does not list is an error, never silently dropped.
        Assert.Throws<ArgumentException>(() => SeccompPolicy.Resolve(SyscallArchitecture.Arm64, "select"));
        Assert.Throws<ArgumentException>(() => SeccompPolicy.Resolve(SyscallArchitecture.X64, "no_such_call"));
    }

    [Fact]
    public void Nothing_x86_64_allows_is_lost_on_arm64()
    {
        foreach (((string name, SeccompFilter x86), (_, SeccompFilter arm64)) in Filters(SyscallArchitecture.X64).Zip(Filters(SyscallArchitecture.Arm64)))
        {
            Assert.Equal(SyscallArchitecture.X64, x86.Architecture);
            Assert.Equal(SyscallArchitecture.Arm64, arm64.Architecture);
            foreach (string call in x86.AllowedNames)
            {
                Assert.True(SeccompPolicy.Resolve(SyscallArchitecture.Arm64, call).All(arm64.Allows), $"{name}: {call}");
            }
            // What arm64 allows beyond the shared names is only replacements of x86-only calls.
            var expected = x86.AllowedNames.SelectMany(call => SeccompPolicy.Resolve(SyscallArchitecture.Arm64, call)).ToHashSet();
            Assert.Equal([], arm64.AllowedNames.Where(call => !expected.Contains(call)).ToArray());
            // The conditions carry over; with hooks arm64 allows clone outright (vfork is clone
            // there), which x86-64's hooks allow for any flags already.
            foreach (string call in x86.ConditionalNames)
            {
                Assert.True(arm64.ConditionalNames.Contains(call) || (call == "clone" && x86.Allows("clone", Sigchld) && arm64.Allows("clone")), $"{name}: {call}");
            }
            Assert.Equal([], arm64.ConditionalNames.Except(x86.ConditionalNames).ToArray());
        }
    }

    [Theory]
    [MemberData(nameof(KindsOnBoth))]
    public void Each_kinds_program_answers_what_its_lists_say_for_every_number(VmmThreadKind kind, SyscallArchitecture architecture)
    {
        SeccompFilter filter = VmmConfinement.FilterFor(kind, ConfinementMode.Errno, hooks: false, architecture);
        BpfInstruction[] program = Program(filter);
        uint arch = AuditArch(architecture);
        ulong pid = (ulong)Environment.ProcessId;
        ulong[][] argumentSets =
        [
            [], [1], [AfInet], [CloneThread | 0x3d0f00], [Sigchld], [pid], [pid + 1],
            [0, 0, 0], [0, 0, OWronly], [0, 0, OCreat], [3, 0xAE80], [3, 0x3B6E], [3, 0x5412], [3, 0x5413], [3, 0x400454D0],
        ];

        foreach ((string name, int number) in LinuxSyscalls.Table(architecture))
        {
            foreach (ulong[] arguments in argumentSets)
            {
                uint expected = name == "clone3" ? SeccompFilter.RetErrno | 38
                    : filter.Allows(name, arguments) ? SeccompFilter.RetAllow
                    : SeccompFilter.RetErrno | 1;
                uint actual = ClassicBpf.Run(program, ClassicBpf.SeccompData(number, arch, arguments));
                Assert.True(expected == actual, $"{kind} on {architecture}: {name}({string.Join(", ", arguments)}) gave {actual:x}, expected {expected:x}");
            }
        }
        // The other ABI (and AArch32 or i386 compat calls) is killed before any number is looked at.
        foreach (uint other in new[] { AuditArch(architecture == SyscallArchitecture.X64 ? SyscallArchitecture.Arm64 : SyscallArchitecture.X64), 0x40000028u, 0x40000003u })
        {
            Assert.Equal(SeccompFilter.RetKillProcess, ClassicBpf.Run(program, ClassicBpf.SeccompData(LinuxSyscalls.Number(architecture, "read"), other)));
        }
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void The_baseline_and_every_kind_keep_their_conditions_on_both(SyscallArchitecture architecture)
    {
        SeccompFilter baseline = SeccompPolicy.Baseline(SeccompAction.Errno, hooks: false, architecture);
        SeccompFilter vcpu = SeccompPolicy.Vcpu(SeccompAction.Errno, architecture);
        SeccompFilter device = SeccompPolicy.Device(SeccompAction.Errno, architecture);
        SeccompFilter withHooks = SeccompPolicy.Baseline(SeccompAction.Errno, hooks: true, architecture);

        Assert.True(baseline.Allows("clone", CloneThread));
        Assert.False(baseline.Allows("clone", Sigchld));
        Assert.True(withHooks.Allows("clone", Sigchld));
        Assert.True(withHooks.Allows("execve"));
        Assert.False(baseline.Allows("execve"));
        Assert.True(device.Allows("socket", SeccompPolicy.AfUnix));
        Assert.False(device.Allows("socket", AfInet));
        Assert.True(vcpu.Allows("openat", 0, 0, 0));
        Assert.False(vcpu.Allows("openat", 0, 0, OCreat | OWronly));
        Assert.True(baseline.Allows("openat", 0, 0, OCreat | OWronly));
        Assert.True(vcpu.AllowsIoctl(0xAE80)); // KVM_RUN
        Assert.False(device.AllowsIoctl(0x3B6E)); // VFIO_DEVICE_SET_IRQS
        Assert.False(baseline.AllowsIoctl(0x5412)); // TIOCSTI
        Assert.True(baseline.Allows("tgkill", (ulong)Environment.ProcessId));
        Assert.False(baseline.Allows("tgkill", 1));
        Assert.True(baseline.Allows("kill", (ulong)Environment.ProcessId));
        Assert.False(baseline.Allows("kill", 1));
        Assert.True(device.Allows(SeccompPolicy.Resolve(architecture, "epoll_wait")[0]));
        foreach (string refused in new[] { "execve", "ptrace", "mount", "bpf", "setuid", "capset", "unshare", "userfaultfd", "reboot", "init_module", "kexec_load" })
        {
            Assert.False(baseline.Allows(refused, 0, 0, 0), refused);
        }
        foreach (string refused in new[] { "connect", "bind", "listen", "accept4", "kill", "unlink", "mkdir", "rename" }.SelectMany(n => SeccompPolicy.Resolve(architecture, n)))
        {
            Assert.False(vcpu.Allows(refused, 0, 0, 0), refused);
        }
    }

    [GccFact]
    public void The_argument_constants_match_this_hosts_headers() => CheckArgumentConstants(CTarget.Host);

    [Aarch64GccFact]
    public void The_argument_constants_match_the_arm64_headers() => CheckArgumentConstants(CTarget.Aarch64);

    // O_* (arm64 overrides some in its asm/fcntl.h, not these), AF_UNIX, the terminal requests
    // (asm-generic/ioctls.h on both) and TUNSETOFFLOAD, as each target's compiler reads them.
    private static void CheckArgumentConstants(CTarget target)
    {
        string[] terminal = ["TCGETS", "TCSETS", "TCSETSW", "TCSETSF", "TIOCGWINSZ", "FIONREAD", "FIONBIO", "FIOCLEX"];
        CLayoutOracle oracle = CLayoutOracle.Run(target, ["fcntl.h", "sys/socket.h", "sys/ioctl.h", "linux/if_tun.h", "linux/sched.h"], [],
            ["O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC", "AF_UNIX", "TUNSETOFFLOAD", "CLONE_THREAD", .. terminal]);

        Assert.Equal((ulong)SeccompPolicy.OpenWriting, oracle.Macro("O_WRONLY") | oracle.Macro("O_RDWR") | oracle.Macro("O_CREAT") | oracle.Macro("O_TRUNC"));
        Assert.Equal((ulong)SeccompPolicy.AfUnix, oracle.Macro("AF_UNIX"));
        Assert.Equal((ulong)SeccompPolicy.TunSetOffload, oracle.Macro("TUNSETOFFLOAD"));
        Assert.Equal(CloneThread, oracle.Macro("CLONE_THREAD"));
        Assert.Equal(terminal.Select(oracle.Macro).ToArray(), SeccompPolicy.TerminalIoctls.Select(r => (ulong)r).ToArray());
    }

    private static uint AuditArch(SyscallArchitecture architecture) =>
        architecture == SyscallArchitecture.X64 ? SeccompFilter.AuditArchX8664 : SeccompFilter.AuditArchAarch64;

    private static BpfInstruction[] Program(SeccompFilter filter) =>
        [.. filter.Compile().Select(i => new BpfInstruction(i.Code, i.JumpTrue, i.JumpFalse, i.K))];
}
