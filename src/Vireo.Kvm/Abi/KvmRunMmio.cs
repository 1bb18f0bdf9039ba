using System.Runtime.InteropServices;

namespace Vireo.Kvm;

/// <summary>kvm_run.mmio (linux/kvm.h), valid for KVM_EXIT_MMIO.</summary>
[StructLayout(LayoutKind.Sequential, Size = 24)]
internal struct KvmRunMmio
{
    public ulong PhysAddr;
    public KvmRunMmioData Data;
    public uint Len;
    public byte IsWrite;
}
