using Vireo.Sys;

namespace Vireo.Kvm;

/// <summary>KVM_{SET,GET,HAS}_DEVICE_ATTR on any fd that takes them (a device's, the VM's, a
/// vCPU's): one place that builds struct kvm_device_attr around a value on the caller's stack.</summary>
internal static class KvmDeviceAttributes
{
    internal static void Set(SafeFd fd, uint group, ulong attr, string owner)
    {
        var request = new KvmDeviceAttr { Group = group, Attr = attr };
        Ioctl.Invoke(fd, KvmIoctls.SetDeviceAttr, ref request, Name("KVM_SET_DEVICE_ATTR", owner, group, attr));
    }

    internal static unsafe void Set<T>(SafeFd fd, uint group, ulong attr, T value, string owner)
        where T : unmanaged
    {
        // Safe: value is a local of this frame (a parameter, which the GC never moves), read by
        // the kernel only during the call, and it is exactly as large as the attribute's value.
        var request = new KvmDeviceAttr { Group = group, Attr = attr, Addr = (ulong)&value };
        Ioctl.Invoke(fd, KvmIoctls.SetDeviceAttr, ref request, Name("KVM_SET_DEVICE_ATTR", owner, group, attr));
    }

    internal static unsafe T Get<T>(SafeFd fd, uint group, ulong attr, string owner)
        where T : unmanaged
    {
        T value = default;
        // Safe: as in Set, a local written by the kernel only during the call; the caller chose
        // T to be the attribute's size.
        var request = new KvmDeviceAttr { Group = group, Attr = attr, Addr = (ulong)&value };
        Ioctl.Invoke(fd, KvmIoctls.GetDeviceAttr, ref request, Name("KVM_GET_DEVICE_ATTR", owner, group, attr));
        return value;
    }

    /// <summary>KVM_HAS_DEVICE_ATTR: ENXIO (the kernel's "no such attribute") is false; any other
    /// error (ENOTTY: this fd takes no attributes at all) throws.</summary>
    internal static bool Has(SafeFd fd, uint group, ulong attr, string owner)
    {
        var request = new KvmDeviceAttr { Group = group, Attr = attr };
        int result = Ioctl.TryInvoke(fd, KvmIoctls.HasDeviceAttr, ref request);
        if (result >= 0)
        {
            return true;
        }
        return -result == Errno.ENXIO ? false : throw new ErrnoException(-result, Name("KVM_HAS_DEVICE_ATTR", owner, group, attr));
    }

    private static string Name(string ioctl, string owner, uint group, ulong attr) => $"{ioctl} ({owner}, group {group}, attr {attr})";
}
