namespace Vireo.Kvm;

/// <summary>Reading and writing a device's attributes by group and attr (KVM_GET_DEVICE_ATTR /
/// KVM_SET_DEVICE_ATTR with a 32- or 64-bit value): what <see cref="KvmVgicV3State"/> and <see cref="KvmVgicItsState"/> need of
/// <see cref="KvmDevice"/>, so that it can be tested against a fake.</summary>
public interface IKvmDeviceAttributeAccess
{
    /// <summary>Reads a 32-bit attribute.</summary>
    uint GetAttribute32(uint group, ulong attr);

    /// <summary>Writes a 32-bit attribute.</summary>
    void SetAttribute32(uint group, ulong attr, uint value);

    /// <summary>Reads a 64-bit attribute.</summary>
    ulong GetAttribute(uint group, ulong attr);

    /// <summary>Writes a 64-bit attribute.</summary>
    void SetAttribute(uint group, ulong attr, ulong value);

    /// <summary>Sets an attribute that takes no value: a control action (KVM_DEV_ARM_VGIC_GRP_CTRL's).</summary>
    void SetAttribute(uint group, ulong attr);
}
