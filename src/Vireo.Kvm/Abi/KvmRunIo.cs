using System.Runtime.InteropServices;

namespace Vireo.Kvm;

/// <summary>kvm_run.io (linux/kvm.h), valid for KVM_EXIT_IO. The data lies inside the kvm_run
/// mapping at <see cref="DataOffset"/>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct KvmRunIo
{
    public byte Direction;
    public byte Size;
    public ushort Port;
    public uint Count;
    public ulong DataOffset;
}
