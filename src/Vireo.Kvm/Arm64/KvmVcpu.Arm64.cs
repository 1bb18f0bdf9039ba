using System.Runtime.CompilerServices;
using Vireo.Sys;

namespace Vireo.Kvm;

// The vCPU calls of the arm64 port: init, the ONE_REG register interface and vCPU attributes.
// ONE_REG and REG_LIST are generic KVM ioctls; on x86 the arm64-only ones fail with a typed
// ErrnoException.
public sealed partial class KvmVcpu
{
    /// <summary>The most register ids <see cref="GetRegisterList"/> accepts from the kernel (an
    /// arm64 vCPU has about a thousand with SVE; a count beyond this is not believed).</summary>
    public const int MaxRegisterListLength = 1 << 16;

    /// <summary>KVM_ARM_VCPU_INIT: resets the vCPU to the target and features in
    /// <paramref name="init"/> (normally <see cref="KvmVm.GetPreferredTarget"/> plus
    /// <see cref="KvmArm64VcpuFeature.Psci02"/>, and <see cref="KvmArm64VcpuFeature.PowerOff"/> for
    /// secondaries). Required before any other vCPU call on arm64; may be repeated to reset.</summary>
    public void InitArm64(in KvmVcpuInit init) => Set(KvmIoctls.ArmVcpuInit, in init, "KVM_ARM_VCPU_INIT");

    /// <summary>KVM_ARM_VCPU_FINALIZE for <paramref name="feature"/> (only <see cref="KvmArm64VcpuFeature.Sve"/>
    /// needs it), after its configuration and before the first run.</summary>
    public void FinalizeArm64(KvmArm64VcpuFeature feature)
    {
        int what = (int)feature;
        Ioctl.Invoke(_fd, KvmIoctls.ArmVcpuFinalize, ref what, "KVM_ARM_VCPU_FINALIZE");
    }

    /// <summary>KVM_GET_ONE_REG of a register of at most 8 bytes (<see cref="KvmArm64Registers.SizeOf"/>);
    /// a 4-byte register comes back zero-extended.</summary>
    public ulong GetOneReg(ulong id)
    {
        RequireScalar(id);
        ulong value = 0;
        OneReg(KvmIoctls.GetOneReg, id, ref value, "KVM_GET_ONE_REG");
        return value;
    }

    /// <summary>KVM_SET_ONE_REG of a register of at most 8 bytes; a narrower register takes the
    /// low bytes of <paramref name="value"/>.</summary>
    public void SetOneReg(ulong id, ulong value)
    {
        RequireScalar(id);
        OneReg(KvmIoctls.SetOneReg, id, ref value, "KVM_SET_ONE_REG");
    }

    /// <summary>KVM_GET_ONE_REG of a register of any size into <paramref name="value"/>, which must
    /// be exactly the id's size (16 bytes for a V register).</summary>
    public void GetOneReg(ulong id, Span<byte> value)
    {
        RequireLength(id, value.Length);
        OneReg(KvmIoctls.GetOneReg, id, ref value[0], "KVM_GET_ONE_REG");
    }

    /// <summary>KVM_SET_ONE_REG of a register of any size from <paramref name="value"/>, exactly the id's size.</summary>
    public void SetOneReg(ulong id, ReadOnlySpan<byte> value)
    {
        RequireLength(id, value.Length);
        // _IOW: the kernel only reads through the address, so the readonly span is not written.
        OneReg(KvmIoctls.SetOneReg, id, ref Unsafe.AsRef(in value[0]), "KVM_SET_ONE_REG");
    }

    /// <summary>KVM_GET_REG_LIST: the id of every register this vCPU has (core, system,
    /// firmware, ...), for migration. Asks for the count first (the kernel answers E2BIG with n
    /// set), refuses a count over <see cref="MaxRegisterListLength"/>, then reads the list.</summary>
    public ulong[] GetRegisterList()
    {
        var probe = new KvmRegListHeader { N = 0 };
        int result = Ioctl.TryInvoke(_fd, KvmIoctls.GetRegList, ref probe);
        if (result >= 0)
        {
            return [];
        }
        if (-result != Errno.E2BIG)
        {
            throw new ErrnoException(-result, "KVM_GET_REG_LIST");
        }
        if (probe.N > MaxRegisterListLength)
        {
            throw new InvalidOperationException($"KVM_GET_REG_LIST reported {probe.N} registers, more than the {MaxRegisterListLength} Vireo accepts");
        }
        int count = (int)probe.N;
        byte[] buffer = new byte[KvmRegListHeader.HeaderSize + (count * sizeof(ulong))];
        BitConverter.TryWriteBytes(buffer, (ulong)count);
        // Registers cannot appear between the calls (the set is fixed once the vCPU is
        // initialized), so a second E2BIG is a failure like any other.
        Ioctl.Invoke(_fd, KvmIoctls.GetRegList, buffer, "KVM_GET_REG_LIST");
        ulong written = BitConverter.ToUInt64(buffer);
        int n = (int)Math.Min(written, (ulong)count);
        var ids = new ulong[n];
        Buffer.BlockCopy(buffer, KvmRegListHeader.HeaderSize, ids, 0, n * sizeof(ulong));
        return ids;
    }

    /// <summary>KVM_GET_MP_STATE as the kernel's number: on arm64 <see cref="KvmArm64MpState.Runnable"/>,
    /// <see cref="KvmArm64MpState.Stopped"/> (powered off through PSCI) or <see cref="KvmArm64MpState.Suspended"/>
    /// (in a PSCI CPU_SUSPEND that KVM left to the VMM).</summary>
    public uint GetMpStateValue() => (uint)GetMpState().MpState;

    /// <summary>KVM_SET_MP_STATE from the kernel's number (a snapshot's, for example).</summary>
    public void SetMpStateValue(uint state) => SetMpState(new KvmMpState { MpState = (VcpuMpState)state });

    /// <summary>KVM_SET_DEVICE_ATTR on the vCPU fd without a value (e.g. KVM_ARM_VCPU_PMU_V3_INIT).</summary>
    public void SetAttribute(uint group, ulong attr) => KvmDeviceAttributes.Set(_fd, group, attr, $"vCPU {Id}");

    /// <summary>KVM_SET_DEVICE_ATTR on the vCPU fd with a 32-bit value (e.g. a timer or PMU interrupt number).</summary>
    public void SetAttribute32(uint group, ulong attr, uint value) => KvmDeviceAttributes.Set(_fd, group, attr, value, $"vCPU {Id}");

    /// <summary>KVM_SET_DEVICE_ATTR on the vCPU fd with a 64-bit value (e.g. the stolen-time IPA).</summary>
    public void SetAttribute(uint group, ulong attr, ulong value) => KvmDeviceAttributes.Set(_fd, group, attr, value, $"vCPU {Id}");

    /// <summary>KVM_HAS_DEVICE_ATTR on the vCPU fd (false for ENXIO).</summary>
    public bool HasAttribute(uint group, ulong attr) => KvmDeviceAttributes.Has(_fd, group, attr, $"vCPU {Id}");

    private unsafe void OneReg<T>(nuint request, ulong id, ref T value, string name)
        where T : unmanaged
    {
        // Safe: value is pinned for the call and holds the id's size, which the callers checked
        // against KVM_REG_SIZE(id), the only number of bytes the kernel touches.
        fixed (T* p = &value)
        {
            var reg = new KvmOneReg { Id = id, Addr = (ulong)p };
            Ioctl.Invoke(_fd, request, ref reg, name);
        }
    }

    internal static void RequireScalar(ulong id)
    {
        if (KvmArm64Registers.SizeOf(id) > sizeof(ulong))
        {
            throw new ArgumentException($"register 0x{id:x} is {KvmArm64Registers.SizeOf(id)} bytes; use the Span overload", nameof(id));
        }
    }

    internal static void RequireLength(ulong id, int length)
    {
        if (KvmArm64Registers.SizeOf(id) != length)
        {
            throw new ArgumentException($"register 0x{id:x} is {KvmArm64Registers.SizeOf(id)} bytes, not {length}", nameof(id));
        }
    }
}
