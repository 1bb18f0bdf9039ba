using Vireo.Sys;

namespace Vireo.Kvm;

// The VM calls of the arm64 port. On x86 the arm64-only ioctls fail with a typed ErrnoException.
public sealed partial class KvmVm
{
    /// <summary>KVM_ARM_PREFERRED_TARGET: the target (and no features) to give every vCPU's
    /// <see cref="KvmVcpu.InitArm64"/>.</summary>
    public KvmVcpuInit GetPreferredTarget()
    {
        KvmVcpuInit init = default;
        Ioctl.Invoke(_fd, KvmIoctls.ArmPreferredTarget, ref init, "KVM_ARM_PREFERRED_TARGET");
        return init;
    }

    /// <summary>KVM_CREATE_DEVICE: an in-kernel device of <paramref name="type"/> (KVM_CAP_DEVICE_CTRL);
    /// the returned object owns its fd.</summary>
    public KvmDevice CreateDevice(KvmDeviceType type)
    {
        var create = new KvmCreateDevice { Type = (uint)type };
        Ioctl.Invoke(_fd, KvmIoctls.CreateDevice, ref create, $"KVM_CREATE_DEVICE ({type})");
        return new KvmDevice(SafeFd.FromOwned((int)create.Fd), type);
    }

    /// <summary>KVM_SET_DEVICE_ATTR on the VM fd without a value (KVM_CAP_VM_ATTRIBUTES).</summary>
    public void SetAttribute(uint group, ulong attr) => KvmDeviceAttributes.Set(_fd, group, attr, "VM");

    /// <summary>KVM_SET_DEVICE_ATTR on the VM fd with a 64-bit value.</summary>
    public void SetAttribute(uint group, ulong attr, ulong value) => KvmDeviceAttributes.Set(_fd, group, attr, value, "VM");

    /// <summary>KVM_GET_DEVICE_ATTR of a 64-bit value on the VM fd.</summary>
    public ulong GetAttribute(uint group, ulong attr) => KvmDeviceAttributes.Get<ulong>(_fd, group, attr, "VM");

    /// <summary>KVM_HAS_DEVICE_ATTR on the VM fd (false for ENXIO; a kernel without VM attributes throws).</summary>
    public bool HasAttribute(uint group, ulong attr) => KvmDeviceAttributes.Has(_fd, group, attr, "VM");

    /// <summary>Whether this VM takes SMCCC filter ranges (arm64, Linux 6.4+).</summary>
    public bool SupportsSmcccFilter => HasAttribute(KvmArm64Constants.VmSmcccCtrl, KvmArm64Constants.VmSmcccFilter);

    /// <summary>Sets the SMCCC filter's action for function IDs [<paramref name="baseFunctionId"/>,
    /// + <paramref name="count"/>) (KVM_SET_DEVICE_ATTR, group KVM_ARM_VM_SMCCC_CTRL, attr
    /// KVM_ARM_VM_SMCCC_FILTER), before the first vCPU runs. KVM refuses a range that overlaps one
    /// already set or one it reserves (EEXIST), a bad action or range (EINVAL), and any change once
    /// a vCPU has run (EBUSY); each comes back as <see cref="ErrnoException"/>.</summary>
    public void SetSmcccFilter(uint baseFunctionId, uint count, KvmSmcccFilterAction action)
    {
        ArgumentOutOfRangeException.ThrowIfZero(count);
        if ((ulong)baseFunctionId + count > 1UL << 32)
        {
            throw new ArgumentOutOfRangeException(nameof(count), $"the range 0x{baseFunctionId:x} + {count} wraps past the 32-bit function ID space");
        }
        var filter = new KvmSmcccFilter { Base = baseFunctionId, NrFunctions = count, Action = action };
        KvmDeviceAttributes.Set(_fd, KvmArm64Constants.VmSmcccCtrl, KvmArm64Constants.VmSmcccFilter, filter, "VM SMCCC filter");
    }
}
