using System.Runtime.InteropServices;

namespace Vireo.Kvm;

/// <summary>struct kvm_ioeventfd (linux/kvm.h).</summary>
[StructLayout(LayoutKind.Sequential, Size = 64)]
internal struct KvmIoeventfd
{
    public ulong Datamatch;
    public ulong Addr;
    public uint Len;
    public int Fd;
    public uint Flags;
}
