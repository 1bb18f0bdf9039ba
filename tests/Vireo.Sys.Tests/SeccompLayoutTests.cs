using Vireo.TestSupport;

namespace Vireo.Sys.Tests;

/// <summary>The seccomp and capability structs and constants against gcc's reading of the
/// kernel's uAPI headers, and every syscall number against &lt;asm/unistd_64.h&gt; (x86-64) and
/// arm64's &lt;asm/unistd.h&gt; (the arm64 oracle: the cross compiler and qemu-aarch64).</summary>
public sealed class SeccompLayoutTests
{
    private static readonly CStructLayout[] s_layouts =
    [
        CStructLayout.Of<Interop.Sys.SockFilter>("struct sock_filter")
            .Field("code", (ref Interop.Sys.SockFilter f) => ref f.Code)
            .Field("jt", (ref Interop.Sys.SockFilter f) => ref f.JumpTrue)
            .Field("jf", (ref Interop.Sys.SockFilter f) => ref f.JumpFalse)
            .Field("k", (ref Interop.Sys.SockFilter f) => ref f.K),
        // The filter pointer cannot be selected generically: its place is pinned by len and the size.
        CStructLayout.Of<Interop.Sys.SockFprog>("struct sock_fprog")
            .Field("len", (ref Interop.Sys.SockFprog p) => ref p.Length),
        CStructLayout.Of<Interop.Sys.SeccompData>("struct seccomp_data")
            .Field("nr", (ref Interop.Sys.SeccompData d) => ref d.Nr)
            .Field("arch", (ref Interop.Sys.SeccompData d) => ref d.Arch)
            .Field("instruction_pointer", (ref Interop.Sys.SeccompData d) => ref d.InstructionPointer)
            .Field("args", (ref Interop.Sys.SeccompData d) => ref d.Args),
        CStructLayout.Of<Interop.Sys.CapUserHeader>("struct __user_cap_header_struct")
            .Field("version", (ref Interop.Sys.CapUserHeader h) => ref h.Version)
            .Field("pid", (ref Interop.Sys.CapUserHeader h) => ref h.Pid),
        CStructLayout.Of<Interop.Sys.CapUserData>("struct __user_cap_data_struct")
            .Field("effective", (ref Interop.Sys.CapUserData d) => ref d.Effective)
            .Field("permitted", (ref Interop.Sys.CapUserData d) => ref d.Permitted)
            .Field("inheritable", (ref Interop.Sys.CapUserData d) => ref d.Inheritable),
    ];

    private static readonly string[] s_headers =
        ["linux/filter.h", "linux/seccomp.h", "linux/audit.h", "linux/capability.h", "linux/sched.h", "asm/unistd.h"];

    public static TheoryData<string> Names() => new(s_layouts.Select(l => l.CType));

    [GccTheory]
    [MemberData(nameof(Names))]
    public void Struct_matches_the_C_layout(string cType)
    {
        CLayoutOracle oracle = CLayoutOracle.Run(s_headers, s_layouts, []);

        Assert.Empty(oracle.Compare(s_layouts.Single(l => l.CType == cType)));
    }

    [GccFact]
    public void Filter_constants_and_offsets_match_the_headers()
    {
        CLayoutOracle oracle = CLayoutOracle.Run(s_headers, s_layouts,
        [
            "SECCOMP_RET_KILL_PROCESS", "SECCOMP_RET_ERRNO", "SECCOMP_RET_LOG", "SECCOMP_RET_ALLOW", "AUDIT_ARCH_X86_64",
            "__X32_SYSCALL_BIT", "CLONE_THREAD", "_LINUX_CAPABILITY_VERSION_3", "CAP_IPC_LOCK",
        ]);

        Assert.Equal((ulong)SeccompFilter.RetKillProcess, oracle.Macro("SECCOMP_RET_KILL_PROCESS"));
        Assert.Equal((ulong)SeccompFilter.RetErrno, oracle.Macro("SECCOMP_RET_ERRNO"));
        Assert.Equal((ulong)SeccompFilter.RetLog, oracle.Macro("SECCOMP_RET_LOG"));
        Assert.Equal((ulong)SeccompFilter.RetAllow, oracle.Macro("SECCOMP_RET_ALLOW"));
        Assert.Equal((ulong)SeccompFilter.AuditArchX8664, oracle.Macro("AUDIT_ARCH_X86_64"));
        Assert.Equal((ulong)SeccompFilter.X32SyscallBit, oracle.Macro("__X32_SYSCALL_BIT"));
        Assert.Equal((ulong)SeccompFilter.CloneThread, oracle.Macro("CLONE_THREAD"));
        Assert.Equal((ulong)ProcessPrivileges.CapIpcLock, oracle.Macro("CAP_IPC_LOCK"));
        Assert.Equal((ulong)SeccompFilter.NrOffset, oracle.OffsetOf("struct seccomp_data", "nr"));
        Assert.Equal((ulong)SeccompFilter.ArchOffset, oracle.OffsetOf("struct seccomp_data", "arch"));
        Assert.Equal((ulong)SeccompFilter.ArgsOffset, oracle.OffsetOf("struct seccomp_data", "args"));
    }

    [GccFact]
    public void Every_syscall_number_matches_asm_unistd_64()
    {
        CLayoutOracle oracle = CLayoutOracle.Run(["asm/unistd_64.h"], [], LinuxSyscalls.X64.Keys.Select(name => "__NR_" + name));

        var wrong = LinuxSyscalls.X64.Where(p => oracle.Macro("__NR_" + p.Key) != (ulong)p.Value).Select(p => $"{p.Key} = {p.Value}, gcc says {oracle.Macro("__NR_" + p.Key)}").ToList();

        Assert.Empty(wrong);
        Assert.True(LinuxSyscalls.X64.Count > 300);
    }

    [Aarch64GccFact]
    public void Every_arm64_syscall_number_matches_the_arm64_asm_unistd()
    {
        CLayoutOracle oracle = CLayoutOracle.Run(CTarget.Aarch64, ["asm/unistd.h"], [], LinuxSyscalls.Arm64.Keys.Select(name => "__NR_" + name));

        var wrong = LinuxSyscalls.Arm64.Where(p => oracle.Macro("__NR_" + p.Key) != (ulong)p.Value).Select(p => $"{p.Key} = {p.Value}, gcc says {oracle.Macro("__NR_" + p.Key)}").ToList();

        Assert.Empty(wrong);
        Assert.True(LinuxSyscalls.Arm64.Count > 300);
    }

    [Aarch64GccFact]
    public void The_legacy_calls_arm64_lacks_are_absent_from_its_table_and_its_headers()
    {
        string[] legacy = ["open", "stat", "lstat", "poll", "select", "dup2", "pipe", "fork", "vfork", "epoll_wait", "access", "readlink",
            "unlink", "rmdir", "mkdir", "rename", "chmod", "eventfd", "signalfd", "inotify_init", "getdents", "time", "arch_prctl", "getpgrp"];
        CLayoutOracle oracle = CLayoutOracle.Run(CTarget.Aarch64, ["asm/unistd.h"], [], ["__aarch64__"]);

        Assert.Equal(1UL, oracle.Macro("__aarch64__"));
        Assert.Equal([], legacy.Where(LinuxSyscalls.Arm64.ContainsKey).ToArray());
        foreach (string name in legacy)
        {
            Assert.True(LinuxSyscalls.X64.ContainsKey(name), name);
            // A name the headers lack does not compile: the oracle throws with gcc's diagnostics.
            Assert.Throws<InvalidOperationException>(() => CLayoutOracle.Run(CTarget.Aarch64, ["asm/unistd.h"], [], ["__NR_" + name]));
        }
    }

    [Aarch64GccFact]
    public void The_filter_constants_and_seccomp_data_match_the_arm64_headers()
    {
        CLayoutOracle oracle = CLayoutOracle.Run(CTarget.Aarch64, s_headers, s_layouts.Where(l => l.CType is "struct sock_filter" or "struct seccomp_data"),
        [
            "SECCOMP_RET_KILL_PROCESS", "SECCOMP_RET_ERRNO", "SECCOMP_RET_LOG", "SECCOMP_RET_ALLOW", "AUDIT_ARCH_AARCH64", "CLONE_THREAD",
        ]);

        Assert.Empty(oracle.Compare(s_layouts.Single(l => l.CType == "struct sock_filter")));
        Assert.Empty(oracle.Compare(s_layouts.Single(l => l.CType == "struct seccomp_data")));
        Assert.Equal((ulong)SeccompFilter.AuditArchAarch64, oracle.Macro("AUDIT_ARCH_AARCH64"));
        Assert.Equal((ulong)SeccompFilter.RetKillProcess, oracle.Macro("SECCOMP_RET_KILL_PROCESS"));
        Assert.Equal((ulong)SeccompFilter.RetErrno, oracle.Macro("SECCOMP_RET_ERRNO"));
        Assert.Equal((ulong)SeccompFilter.RetLog, oracle.Macro("SECCOMP_RET_LOG"));
        Assert.Equal((ulong)SeccompFilter.RetAllow, oracle.Macro("SECCOMP_RET_ALLOW"));
        Assert.Equal((ulong)SeccompFilter.CloneThread, oracle.Macro("CLONE_THREAD"));
        Assert.Equal((ulong)SeccompFilter.NrOffset, oracle.OffsetOf("struct seccomp_data", "nr"));
        Assert.Equal((ulong)SeccompFilter.ArchOffset, oracle.OffsetOf("struct seccomp_data", "arch"));
        Assert.Equal((ulong)SeccompFilter.ArgsOffset, oracle.OffsetOf("struct seccomp_data", "args"));
    }
}
