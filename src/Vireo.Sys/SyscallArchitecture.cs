namespace Vireo.Sys;

/// <summary>A Linux syscall ABI Vireo has a table and a seccomp filter for.</summary>
public enum SyscallArchitecture
{
    /// <summary>x86-64 (AUDIT_ARCH_X86_64; x32 numbers are refused).</summary>
    X64,

    /// <summary>arm64 (AUDIT_ARCH_AARCH64; the asm-generic numbering).</summary>
    Arm64,
}
