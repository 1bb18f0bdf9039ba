using System.Runtime.InteropServices;

namespace Vireo.Sys;

/// <summary>
/// A seccomp allowlist for one syscall ABI (<see cref="SyscallArchitecture"/>) compiled to classic
/// BPF: the call's audit architecture must be the filter's (anything else, and on x86-64 the x32
/// numbers, kills the process: no Vireo thread ever makes such a call), then each
/// allowed syscall number returns ALLOW, some only when a scalar argument matches (<c>ioctl</c>
/// for listed request numbers or types, <c>clone</c> for threads, <c>openat</c> read-only),
/// <c>clone3</c> fails with ENOSYS
/// (its flags sit in memory a filter cannot read, and glibc then falls back to <c>clone</c>),
/// and every other call meets <see cref="Violation"/>. Filters only ever narrow: one installed on
/// a thread stays for its life and is inherited by the threads it creates.
/// </summary>
public sealed class SeccompFilter
{
    // <linux/bpf_common.h> instruction classes and fields.
    private const ushort BpfLd = 0x00, BpfAlu = 0x04, BpfJmp = 0x05, BpfRet = 0x06;
    private const ushort BpfAnd = 0x50;
    private const ushort BpfW = 0x00, BpfAbs = 0x20, BpfK = 0x00;
    private const ushort BpfJeq = 0x10, BpfJge = 0x30;

    // <linux/seccomp.h> return values.
    internal const uint RetKillProcess = 0x80000000;
    internal const uint RetErrno = 0x00050000;
    internal const uint RetLog = 0x7ffc0000;
    internal const uint RetAllow = 0x7fff0000;

    // <linux/audit.h>: EM_X86_64 (62) | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE.
    internal const uint AuditArchX8664 = 0xc000003e;

    // <linux/audit.h>: EM_AARCH64 (183) | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE. AArch32 tasks
    // (AUDIT_ARCH_ARM) are another architecture and meet the kill; arm64 has no x32-style alias.
    internal const uint AuditArchAarch64 = 0xc00000b7;

    // <asm/unistd_x32.h>: __X32_SYSCALL_BIT.
    internal const uint X32SyscallBit = 0x40000000;

    // <linux/sched.h>
    internal const ulong CloneThread = 0x00010000;

    // <linux/seccomp.h> struct seccomp_data offsets (layout-tested).
    internal const uint NrOffset = 0, ArchOffset = 4, ArgsOffset = 16;

    private readonly SortedSet<int> _allowed = [];
    private readonly SortedDictionary<int, List<ArgumentCondition>> _conditional = [];

    /// <summary>A filter for this host's architecture that allows nothing yet;
    /// <paramref name="violation"/> is what a call outside the allowlist meets. Throws
    /// <see cref="ConfinementException"/> on an architecture Vireo has no syscall table for.</summary>
    public SeccompFilter(SeccompAction violation)
        : this(violation, LinuxSyscalls.HostArchitecture ?? throw new ConfinementException(
            $"Vireo's seccomp filters know x86-64 and arm64 syscall numbers only and this host is {RuntimeInformation.ProcessArchitecture}: run with --seccomp off"))
    {
    }

    /// <summary>A filter for <paramref name="architecture"/> that allows nothing yet (one for
    /// another architecture than the host's can be compiled and inspected, not installed).</summary>
    public SeccompFilter(SeccompAction violation, SyscallArchitecture architecture)
    {
        _ = LinuxSyscalls.Table(architecture);
        Violation = violation;
        Architecture = architecture;
    }

    /// <summary>What a call outside the allowlist meets.</summary>
    public SeccompAction Violation { get; }

    /// <summary>The syscall ABI whose numbers the filter matches; names are this architecture's.</summary>
    public SyscallArchitecture Architecture { get; }

    /// <summary>The syscall names allowed for any arguments, sorted by number.</summary>
    public IEnumerable<string> AllowedNames => _allowed.Select(NameOf);

    /// <summary>The syscall names allowed only for some arguments, sorted by number.</summary>
    public IEnumerable<string> ConditionalNames => _conditional.Keys.Where(n => !_allowed.Contains(n)).Select(NameOf);

    /// <summary>Allows the syscalls named (kernel names, as in <see cref="LinuxSyscalls"/>) for any
    /// arguments; a name the filter's architecture does not have throws.</summary>
    public SeccompFilter Allow(params IEnumerable<string> names)
    {
        foreach (string name in names)
        {
            _allowed.Add(Number(name));
        }
        return this;
    }

    /// <summary>
    /// Allows the syscall <paramref name="name"/> when the low 32 bits of its argument
    /// <paramref name="argument"/> (0-5), masked with <paramref name="mask"/>, equal
    /// <paramref name="value"/>; several conditions on one syscall are alternatives.
    /// Only scalar arguments can be checked: a filter cannot read memory a pointer names.
    /// </summary>
    public SeccompFilter AllowIf(string name, int argument, uint mask, uint value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(argument);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(argument, 5);
        int number = Number(name);
        if (!_conditional.TryGetValue(number, out List<ArgumentCondition>? conditions))
        {
            _conditional[number] = conditions = [];
        }
        var condition = new ArgumentCondition(argument, mask, value & mask);
        if (!conditions.Contains(condition))
        {
            conditions.Add(condition);
        }
        return this;
    }

    /// <summary>Allows <c>ioctl</c> with these request numbers (the kernel takes the request as
    /// an unsigned int, so the low 32 bits are compared).</summary>
    public SeccompFilter AllowIoctls(params IEnumerable<nuint> requests)
    {
        foreach (nuint request in requests)
        {
            AllowIf("ioctl", 1, uint.MaxValue, (uint)request);
        }
        return this;
    }

    /// <summary>Allows <c>ioctl</c> with any request of these types (the <c>_IOC_TYPE</c> byte,
    /// bits 8-15 in &lt;asm-generic/ioctl.h&gt;: 0xAE for KVM, ';' for VFIO and iommufd).</summary>
    public SeccompFilter AllowIoctlTypes(params IEnumerable<byte> types)
    {
        foreach (byte type in types)
        {
            AllowIf("ioctl", 1, 0xff00, (uint)type << 8);
        }
        return this;
    }

    /// <summary>Allows <c>clone</c> only to create threads (CLONE_THREAD set): no fork, no vfork.</summary>
    public SeccompFilter AllowThreadCreation() => AllowIf("clone", 0, (uint)CloneThread, (uint)CloneThread);

    /// <summary>Whether the syscall named is allowed for any arguments.</summary>
    public bool Allows(string name) => _allowed.Contains(Number(name));

    /// <summary>Whether the syscall named passes with these (scalar) arguments.</summary>
    public bool Allows(string name, params ReadOnlySpan<ulong> arguments)
    {
        int number = Number(name);
        if (_allowed.Contains(number))
        {
            return true;
        }
        if (!_conditional.TryGetValue(number, out List<ArgumentCondition>? conditions))
        {
            return false;
        }
        foreach (ArgumentCondition condition in conditions)
        {
            uint low = condition.Argument < arguments.Length ? (uint)arguments[condition.Argument] : 0;
            if ((low & condition.Mask) == condition.Value)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Whether <c>ioctl</c> with <paramref name="request"/> passes.</summary>
    public bool AllowsIoctl(nuint request) => Allows("ioctl", 0, request);

    /// <summary>The program, as the kernel will run it.</summary>
    internal Interop.Sys.SockFilter[] Compile()
    {
        uint violation = Violation switch
        {
            SeccompAction.Errno => RetErrno | (uint)Errno.EPERM,
            SeccompAction.KillProcess => RetKillProcess,
            SeccompAction.Log => RetLog,
            _ => throw new ArgumentOutOfRangeException(nameof(Violation)),
        };
        var program = new List<Interop.Sys.SockFilter>
        {
            Load(ArchOffset),
            Jump(BpfJeq, Architecture == SyscallArchitecture.X64 ? AuditArchX8664 : AuditArchAarch64, 1, 0),
            Return(RetKillProcess),
            Load(NrOffset),
        };
        if (Architecture == SyscallArchitecture.X64)
        {
            // x32 calls arrive with AUDIT_ARCH_X86_64 and the x32 bit set in nr.
            program.Add(Jump(BpfJge, X32SyscallBit, 0, 1));
            program.Add(Return(RetKillProcess));
        }
        // clone3's flags are in memory the filter cannot read: ENOSYS makes glibc use clone.
        program.Add(Jump(BpfJeq, (uint)Number("clone3"), 0, 1));
        program.Add(Return(RetErrno | (uint)Errno.ENOSYS));
        foreach (int number in _allowed)
        {
            program.Add(Jump(BpfJeq, (uint)number, 0, 1));
            program.Add(Return(RetAllow));
        }
        foreach ((int number, List<ArgumentCondition> conditions) in _conditional)
        {
            if (_allowed.Contains(number))
            {
                continue;
            }
            // Every path through the block returns, so the jump over it still has A = nr.
            int block = (4 * conditions.Count) + 1;
            if (block > byte.MaxValue)
            {
                throw new InvalidOperationException($"{conditions.Count} conditions on {NameOf(number)} do not fit one BPF jump (at most 63)");
            }
            program.Add(Jump(BpfJeq, (uint)number, 0, (byte)block));
            foreach (ArgumentCondition condition in conditions)
            {
                // The low half of args[i] (little-endian).
                program.Add(Load(ArgsOffset + (8 * (uint)condition.Argument)));
                program.Add(new Interop.Sys.SockFilter { Code = BpfAlu | BpfAnd | BpfK, K = condition.Mask });
                program.Add(Jump(BpfJeq, condition.Value, 0, 1));
                program.Add(Return(RetAllow));
            }
            program.Add(Return(violation));
        }
        program.Add(Return(violation));
        // <linux/filter.h> BPF_MAXINSNS
        return program.Count <= 4096 ? [.. program] : throw new InvalidOperationException($"the filter has {program.Count} instructions; the kernel takes at most 4096");
    }

    /// <summary>
    /// Installs the filter on the calling thread, or with <paramref name="allThreads"/> on every
    /// thread of the process at once (SECCOMP_FILTER_FLAG_TSYNC; it fails if a thread already has
    /// a filter this one does not descend from). Sets PR_SET_NO_NEW_PRIVS first, which an
    /// unprivileged process needs and which Vireo wants anyway.
    /// </summary>
    public void Install(bool allThreads)
    {
        if (LinuxSyscalls.HostArchitecture != Architecture)
        {
            throw new ConfinementException(
                $"this seccomp filter carries {Architecture} syscall numbers and this process runs as {RuntimeInformation.ProcessArchitecture}");
        }
        Interop.Sys.SockFilter[] program = Compile();
        ProcessPrivileges.SetNoNewPrivileges();
        unsafe
        {
            fixed (Interop.Sys.SockFilter* instructions = program)
            {
                var fprog = new Interop.Sys.SockFprog { Length = (ushort)program.Length, Filter = instructions };
                // SAFETY: fprog points at the pinned program for the duration of the call; the kernel copies it.
                long result = Interop.Sys.SyscallSeccomp(Number("seccomp"), SetModeFilter, allThreads ? FilterFlagTsync : 0, &fprog);
                if (result < 0)
                {
                    throw ErrnoException.FromLastError(allThreads ? "seccomp(SECCOMP_SET_MODE_FILTER, TSYNC)" : "seccomp(SECCOMP_SET_MODE_FILTER)");
                }
                if (result > 0)
                {
                    throw new ConfinementException($"seccomp TSYNC: thread {result} has a filter the new one does not extend; install the process-wide filter before any thread's own");
                }
            }
        }
    }

    // <linux/seccomp.h>
    private const ulong SetModeFilter = 1;
    private const ulong FilterFlagTsync = 1;

    private int Number(string name) => LinuxSyscalls.Number(Architecture, name);

    private string NameOf(int number) => LinuxSyscalls.NameOf(Architecture, number);

    private readonly record struct ArgumentCondition(int Argument, uint Mask, uint Value);

    private static Interop.Sys.SockFilter Load(uint offset) => new() { Code = BpfLd | BpfW | BpfAbs, K = offset };

    private static Interop.Sys.SockFilter Jump(ushort op, uint k, byte jumpTrue, byte jumpFalse) =>
        new() { Code = (ushort)(BpfJmp | op | BpfK), K = k, JumpTrue = jumpTrue, JumpFalse = jumpFalse };

    private static Interop.Sys.SockFilter Return(uint value) => new() { Code = BpfRet | BpfK, K = value };
}
