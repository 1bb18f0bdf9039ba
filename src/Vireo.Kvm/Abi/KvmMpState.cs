using System.Runtime.InteropServices;

namespace Vireo.Kvm;

/// <summary>struct kvm_mp_state (linux/kvm.h).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct KvmMpState
{
    public VcpuMpState MpState;
}
