using System.Runtime.InteropServices;

namespace Vireo.Kvm;

/// <summary>struct kvm_debugregs (asm/kvm.h).</summary>
[StructLayout(LayoutKind.Sequential, Size = 128)]
internal struct KvmDebugregs
{
    public KvmDebugAddresses Db;
    public ulong Dr6;
    public ulong Dr7;
    public ulong Flags;
}
