using System.Runtime.InteropServices;

namespace Vireo.Kvm;

/// <summary>struct kvm_create_device (linux/kvm.h) for KVM_CREATE_DEVICE: type in, fd out.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct KvmCreateDevice
{
    public uint Type;
    public uint Fd;
    public uint Flags;
}
