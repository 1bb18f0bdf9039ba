using System.Runtime.InteropServices;

namespace Vireo.Kvm;

/// <summary>struct kvm_xcrs (asm/kvm.h): the XCRs of KVM_GET/SET_XCRS.</summary>
[StructLayout(LayoutKind.Sequential, Size = 392)]
internal struct KvmXcrs
{
    public uint NrXcrs;
    public uint Flags;
    public KvmXcrList Xcrs;
}
