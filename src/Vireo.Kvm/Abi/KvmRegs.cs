using System.Runtime.InteropServices;

namespace Vireo.Kvm;

/// <summary>struct kvm_regs (asm/kvm.h): general-purpose registers for KVM_GET/SET_REGS.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct KvmRegs
{
    /// <summary>General-purpose registers.</summary>
    public ulong Rax, Rbx, Rcx, Rdx;
    /// <summary>General-purpose registers; RSP is the stack pointer.</summary>
    public ulong Rsi, Rdi, Rsp, Rbp;
    /// <summary>General-purpose registers added by x86-64.</summary>
    public ulong R8, R9, R10, R11;
    /// <summary>General-purpose registers added by x86-64.</summary>
    public ulong R12, R13, R14, R15;
    /// <summary>
    /// The instruction pointer and flags; RFLAGS bit 1 is reserved and must be set.
    /// </summary>
    public ulong Rip, Rflags;
}
