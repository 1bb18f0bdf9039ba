using System.Runtime.InteropServices;

namespace Vireo.Kvm;

/// <summary>kvm_run.internal (linux/kvm.h), valid for KVM_EXIT_INTERNAL_ERROR.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct KvmRunInternalError
{
    public uint Suberror;
    public uint Ndata;
    public KvmRunDataWords Data;
}
