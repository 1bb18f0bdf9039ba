using Vireo.Sys;

namespace Vireo.Kvm;

/// <summary>A device fd from KVM_CREATE_DEVICE (<see cref="KvmVm.CreateDevice"/>), such as the
/// in-kernel GICv3, configured through attributes: a group, an attribute in it and a value of
/// the size the attribute defines (see <see cref="KvmArmVgic"/>). Errors throw
/// <see cref="ErrnoException"/> naming the ioctl, the device, the group and the attribute.</summary>
public sealed class KvmDevice : IKvmDeviceAttributeAccess, IDisposable
{
    private readonly SafeFd _fd;
    private readonly string _name;

    internal KvmDevice(SafeFd fd, KvmDeviceType type)
    {
        _fd = fd;
        Type = type;
        _name = $"device {type}";
    }

    /// <summary>The device's type.</summary>
    public KvmDeviceType Type { get; }

    /// <summary>The device descriptor.</summary>
    public SafeFd Handle => _fd;

    /// <summary>KVM_SET_DEVICE_ATTR for an attribute without a value (e.g. <see cref="KvmArmVgic.CtrlInit"/>).</summary>
    public void SetAttribute(uint group, ulong attr) => KvmDeviceAttributes.Set(_fd, group, attr, _name);

    /// <summary>KVM_SET_DEVICE_ATTR with a 64-bit value (e.g. a base address in <see cref="KvmArmVgic.GroupAddr"/>).</summary>
    public void SetAttribute(uint group, ulong attr, ulong value) => KvmDeviceAttributes.Set(_fd, group, attr, value, _name);

    /// <summary>KVM_SET_DEVICE_ATTR with a 32-bit value (e.g. <see cref="KvmArmVgic.GroupNrIrqs"/>).</summary>
    public void SetAttribute32(uint group, ulong attr, uint value) => KvmDeviceAttributes.Set(_fd, group, attr, value, _name);

    /// <summary>KVM_GET_DEVICE_ATTR of a 64-bit value.</summary>
    public ulong GetAttribute(uint group, ulong attr) => KvmDeviceAttributes.Get<ulong>(_fd, group, attr, _name);

    /// <summary>KVM_GET_DEVICE_ATTR of a 32-bit value.</summary>
    public uint GetAttribute32(uint group, ulong attr) => KvmDeviceAttributes.Get<uint>(_fd, group, attr, _name);

    /// <summary>KVM_HAS_DEVICE_ATTR: whether the device knows the attribute.</summary>
    public bool HasAttribute(uint group, ulong attr) => KvmDeviceAttributes.Has(_fd, group, attr, _name);

    /// <summary>Closes the device fd; KVM keeps the device as long as the VM lives.</summary>
    public void Dispose() => _fd.Dispose();
}
