using Vireo.Sys;
using Vireo.TestSupport;

namespace Vireo.Kvm.Tests;

/// <summary>The arm64-only calls on an x86 host's KVM: each fails with an
/// <see cref="ErrnoException"/> naming its ioctl, never a crash or a silent success.</summary>
public sealed class Arm64OnX86Tests
{
    [KvmFact]
    public void Arm64_only_ioctls_fail_with_a_typed_error_naming_the_ioctl()
    {
        using TestVm t = TestVm.Create();

        ErrnoException target = Assert.Throws<ErrnoException>(() => t.Vm.GetPreferredTarget());
        ErrnoException init = Assert.Throws<ErrnoException>(() => t.Vcpu.InitArm64(default));
        ErrnoException gic = Assert.Throws<ErrnoException>(() => t.Vm.CreateDevice(KvmDeviceType.ArmVgicV3));

        Assert.StartsWith("KVM_ARM_PREFERRED_TARGET", target.Call, StringComparison.Ordinal);
        Assert.StartsWith("KVM_ARM_VCPU_INIT", init.Call, StringComparison.Ordinal);
        Assert.StartsWith("KVM_CREATE_DEVICE", gic.Call, StringComparison.Ordinal);
    }

    [KvmFact]
    public void An_arm64_register_id_is_refused_by_x86_kvm()
    {
        using TestVm t = TestVm.Create();

        ErrnoException error = Assert.Throws<ErrnoException>(() => t.Vcpu.GetOneReg(KvmArm64Registers.Pc));

        Assert.Equal("KVM_GET_ONE_REG", error.Call);
    }

    [Fact]
    public void A_register_of_another_size_than_the_buffer_is_refused_before_the_kernel_could_write_past_it()
    {
        // The checks run before the ioctl, so no vCPU is needed to see them.
        Assert.Throws<ArgumentException>(() => KvmVcpu.RequireScalar(KvmArm64Registers.V(0)));
        Assert.Throws<ArgumentException>(() => KvmVcpu.RequireLength(KvmArm64Registers.Fpsr, 8));
        Assert.Throws<ArgumentException>(() => KvmVcpu.RequireLength(KvmArm64Registers.V(3), 8));
        KvmVcpu.RequireScalar(KvmArm64Registers.Fpsr);
        KvmVcpu.RequireLength(KvmArm64Registers.V(3), 16);
    }
}
