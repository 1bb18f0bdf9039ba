using System.Runtime.InteropServices;

namespace Vireo.Kvm;

/// <summary>struct kvm_device_attr (linux/kvm.h) for KVM_{SET,GET,HAS}_DEVICE_ATTR on a device,
/// VM or vCPU fd; addr is the userspace address of the attribute's value (0 when it has none).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct KvmDeviceAttr
{
    public uint Flags;
    public uint Group;
    public ulong Attr;
    public ulong Addr;
}
