using Vireo.TestSupport;

namespace Vireo.Kvm.Tests;

/// <summary>The arm64 layout oracle itself: its probe is really an arm64 program (run under
/// qemu-aarch64) and really sees Linux 6.4+ uAPI headers, which the arm64 ABI tests rely on.</summary>
public sealed class Arm64OracleTests
{
    [Aarch64GccFact]
    public void The_arm64_probe_runs_as_arm64_code_against_headers_that_have_the_SMCCC_filter()
    {
        CLayoutOracle oracle = CLayoutOracle.Run(CTarget.Aarch64, ["linux/kvm.h"], [],
            ["__aarch64__", "KVM_REG_ARM64", "KVM_ARM_VM_SMCCC_CTRL", "KVM_SMCCC_FILTER_FWD_TO_USER"]);

        Assert.Equal(1UL, oracle.Macro("__aarch64__"));
        Assert.Equal(0x6000_0000_0000_0000UL, oracle.Macro("KVM_REG_ARM64"));
        Assert.Equal(2UL, oracle.Macro("KVM_SMCCC_FILTER_FWD_TO_USER"));
    }

    [GccFact]
    public void The_host_probe_is_not_arm64()
    {
        CLayoutOracle oracle = CLayoutOracle.Run(CTarget.Host, ["stddef.h"], [], ["__SIZEOF_POINTER__"]);

        Assert.Equal(8UL, oracle.Macro("__SIZEOF_POINTER__"));
        Assert.Throws<InvalidOperationException>(() => CLayoutOracle.Run(CTarget.Host, ["stddef.h"], [], ["__aarch64__"]));
    }
}
