using System.Runtime.InteropServices;

namespace Vireo.Kvm;

/// <summary>struct kvm_debug_exit_arch (asm/kvm.h): kvm_run.debug.arch for KVM_EXIT_DEBUG.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct KvmDebugExitArch
{
    public uint Exception;
    public uint Pad;
    public ulong Pc;
    public ulong Dr6;
    public ulong Dr7;
}
