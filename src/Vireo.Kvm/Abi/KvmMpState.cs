using System.Runtime.InteropServices;

namespace Vireo.Kvm;

/// <summary>struct kvm_mp_state (linux/kvm.h).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct KvmMpState
{
    public VcpuMpState MpState;
}
