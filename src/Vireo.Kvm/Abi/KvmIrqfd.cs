using System.Runtime.InteropServices;

namespace Vireo.Kvm;

/// <summary>struct kvm_irqfd (linux/kvm.h).</summary>
[StructLayout(LayoutKind.Sequential, Size = 32)]
internal struct KvmIrqfd
{
    public uint Fd;
    public uint Gsi;
    public uint Flags;
    public uint ResampleFd;
}
