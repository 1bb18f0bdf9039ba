using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Vireo.Sys;
using Vireo.TestSupport;

namespace Vireo.Kvm.Tests;

/// <summary>The arm64 ABI helpers' own rules (ranges the header's macros would silently mask, the
/// feature bitmap, register id decomposition) and the arm64 exits as <see cref="VcpuExit"/> reads
/// them from a kvm_run page the test writes, without a VM.</summary>
public sealed class Arm64AbiTests
{
    [Theory]
    [InlineData(-1)]
    [InlineData(31)]
    public void X_refuses_registers_past_x30(int n)
        => Assert.Throws<ArgumentOutOfRangeException>(() => KvmArm64Registers.X(n));

    [Fact]
    public void Core_register_ids_refuse_bad_offsets_sizes_and_indices()
    {
        Assert.Throws<ArgumentException>(() => KvmArm64Registers.CoreRegister(2, KvmArm64Registers.SizeU64));
        Assert.Throws<ArgumentException>(() => KvmArm64Registers.CoreRegister(0, 0x0010_0000_0000_0000));
        Assert.Throws<ArgumentOutOfRangeException>(() => KvmArm64Registers.CoreRegister(-4, KvmArm64Registers.SizeU64));
        Assert.Throws<ArgumentOutOfRangeException>(() => KvmArm64Registers.CoreRegister(4096, KvmArm64Registers.SizeU64));
        Assert.Throws<ArgumentOutOfRangeException>(() => KvmArm64Registers.Spsr(5));
        Assert.Throws<ArgumentOutOfRangeException>(() => KvmArm64Registers.V(32));
    }

    [Theory]
    [InlineData(4, 0, 0, 0, 0)]
    [InlineData(3, 8, 0, 0, 0)]
    [InlineData(3, 0, 16, 0, 0)]
    [InlineData(3, 0, 0, 16, 0)]
    [InlineData(3, 0, 0, 0, 8)]
    [InlineData(-1, 0, 0, 0, 0)]
    public void System_register_fields_out_of_range_are_refused(int op0, int op1, int crn, int crm, int op2)
        => Assert.Throws<ArgumentOutOfRangeException>(() => KvmArm64Registers.SystemRegister(op0, op1, crn, crm, op2));

    [Fact]
    public void A_register_id_decomposes_into_arch_size_coproc_and_index()
    {
        ulong id = KvmArm64Registers.FirmwareRegister(0x0123);

        Assert.True(KvmArm64Registers.IsArm64(id));
        Assert.Equal(8, KvmArm64Registers.SizeOf(id));
        Assert.Equal(KvmArm64Registers.Firmware, KvmArm64Registers.CoprocOf(id));
        Assert.Equal(0x0123UL, KvmArm64Registers.IndexOf(id));
        Assert.Equal(16, KvmArm64Registers.SizeOf(KvmArm64Registers.V(0)));
        Assert.Equal(4, KvmArm64Registers.SizeOf(KvmArm64Registers.Fpsr));
        Assert.Equal(KvmArm64Registers.SystemRegisters, KvmArm64Registers.CoprocOf(KvmArm64Registers.MpidrEl1));
        Assert.False(KvmArm64Registers.IsArm64(0x2000_0000_0000_0000 | KvmArm64Registers.SizeU64));
    }

    [Theory]
    [InlineData(31u)]
    [InlineData(1020u)]
    [InlineData(0u)]
    public void Spi_refuses_interrupt_ids_outside_32_to_1019(uint intid)
        => Assert.Throws<ArgumentOutOfRangeException>(() => KvmArmIrqLine.Spi(intid));

    [Fact]
    public void Ppi_refuses_non_ppi_ids_and_vcpu_indices_the_layout_cannot_hold()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => KvmArmIrqLine.Ppi(0, 15));
        Assert.Throws<ArgumentOutOfRangeException>(() => KvmArmIrqLine.Ppi(0, 32));
        Assert.Throws<ArgumentOutOfRangeException>(() => KvmArmIrqLine.Ppi(256, 27));
    }

    [Fact]
    public void Vcpu_init_features_set_their_bit_and_leave_the_target()
    {
        var init = new KvmVcpuInit { Target = 5 };

        KvmVcpuInit secondary = init.WithFeature(KvmArm64VcpuFeature.Psci02).WithFeature(KvmArm64VcpuFeature.PowerOff);

        Assert.Equal(5u, secondary.Target);
        Assert.Equal(0b101u, secondary.Features[0]);
        Assert.True(secondary.HasFeature(KvmArm64VcpuFeature.PowerOff));
        Assert.False(secondary.HasFeature(KvmArm64VcpuFeature.PmuV3));
        Assert.False(init.HasFeature(KvmArm64VcpuFeature.Psci02));
        Assert.Throws<ArgumentOutOfRangeException>(() => init.WithFeature((KvmArm64VcpuFeature)(7 * 32)));
        Assert.True(init.WithFeature((KvmArm64VcpuFeature)33).Features[1] == 2);
    }

    [Fact]
    public void A_forwarded_smccc_call_reads_its_function_id_and_conduit()
    {
        byte[] page = RunPage();
        ref KvmRun run = ref MemoryMarshal.AsRef<KvmRun>(page.AsSpan());
        run.ExitReason = KvmExitReason.Hypercall;
        run.Hypercall.Nr = 0xC400_0021;
        run.Hypercall.Flags = KvmArm64Constants.HypercallExitSmc;

        var exit = new VcpuExit(page, interrupted: false);

        Assert.Equal(VcpuExitKind.Hypercall, exit.Kind);
        Assert.Equal(0xC400_0021u, exit.FunctionId);
        Assert.True(exit.IsSmc);
        Assert.False(exit.Is16BitInstruction);

        run.Hypercall.Flags = KvmArm64Constants.HypercallExit16Bit;
        var hvc = new VcpuExit(page, interrupted: false);
        Assert.False(hvc.IsSmc);
        Assert.True(hvc.Is16BitInstruction);
    }

    [Fact]
    public void Hypercall_members_are_refused_on_other_exits_and_system_event_members_on_hypercalls()
    {
        byte[] page = RunPage();
        MemoryMarshal.AsRef<KvmRun>(page.AsSpan()).ExitReason = KvmExitReason.SystemEvent;

        Assert.Throws<InvalidOperationException>(() => new VcpuExit(page, interrupted: false).FunctionId);
        Assert.Throws<InvalidOperationException>(() => new VcpuExit(page, interrupted: false).IsSmc);
        Assert.Throws<InvalidOperationException>(() => new VcpuExit(page, interrupted: false).Is16BitInstruction);
        Assert.Throws<InvalidOperationException>(() => new VcpuExit(page, interrupted: false).HypercallFlags);

        MemoryMarshal.AsRef<KvmRun>(page.AsSpan()).ExitReason = KvmExitReason.Hypercall;
        Assert.Throws<InvalidOperationException>(() => new VcpuExit(page, interrupted: false).SystemEventFlags);
        Assert.Throws<InvalidOperationException>(() => new VcpuExit(page, interrupted: false).SystemEventData.Length);
    }

    [Fact]
    public void System_event_data_holds_ndata_words_and_flags_the_first()
    {
        byte[] page = RunPage();
        ref KvmRun run = ref MemoryMarshal.AsRef<KvmRun>(page.AsSpan());
        run.ExitReason = KvmExitReason.SystemEvent;
        run.SystemEvent.Type = (uint)KvmSystemEventType.Reset;
        run.SystemEvent.Ndata = 2;
        run.SystemEvent.Data[0] = KvmSystemEventFlags.ArmPsciReset2;
        run.SystemEvent.Data[1] = 0xdead;

        var exit = new VcpuExit(page, interrupted: false);

        Assert.Equal((uint)KvmSystemEventType.Reset, exit.SystemEventType);
        Assert.Equal(KvmSystemEventFlags.ArmPsciReset2, exit.SystemEventFlags);
        Assert.Equal([KvmSystemEventFlags.ArmPsciReset2, 0xdead], exit.SystemEventData.ToArray());
    }

    [Fact]
    public void A_system_event_ndata_past_the_array_is_capped_at_16_words()
    {
        byte[] page = RunPage();
        ref KvmRun run = ref MemoryMarshal.AsRef<KvmRun>(page.AsSpan());
        run.ExitReason = KvmExitReason.SystemEvent;
        run.SystemEvent.Ndata = uint.MaxValue;

        Assert.Equal(16, new VcpuExit(page, interrupted: false).SystemEventData.Length);
    }

    [Fact]
    public void Smccc_filter_ranges_that_are_empty_or_wrap_are_refused_before_any_ioctl()
    {
        // The checks come before the fd is touched, so an invalid handle is never reached.
        using var vm = new KvmVm(new SafeFd(), runSize: 0);

        Assert.Throws<ArgumentOutOfRangeException>(() => vm.SetSmcccFilter(0xC400_0000, 0, KvmSmcccFilterAction.FwdToUser));
        Assert.Throws<ArgumentOutOfRangeException>(() => vm.SetSmcccFilter(0xFFFF_FFF0, 0x11, KvmSmcccFilterAction.FwdToUser));
    }

    [GccFact]
    public void The_oracle_refuses_expressions_that_could_leave_their_call_or_string()
    {
        Assert.Throws<ArgumentException>(() => CLayoutOracle.Run(["stddef.h"], [], ["1), put(\"x\", 2"]));
        Assert.Throws<ArgumentException>(() => CLayoutOracle.Run(["stddef.h"], [], ["1) | (2"]));
        Assert.Throws<ArgumentException>(() => CLayoutOracle.Run(["stddef.h"], [], ["(1"]));
        Assert.Throws<ArgumentException>(() => CLayoutOracle.Run(["stddef.h"], [], ["1 \\n"]));

        CLayoutOracle oracle = CLayoutOracle.Run(["stddef.h"], [], ["(1 << 4) | (2 & 3)"]);
        Assert.Equal(18UL, oracle.Macro("(1 << 4) | (2 & 3)"));
    }

    private static byte[] RunPage() => new byte[Unsafe.SizeOf<KvmRun>()];
}
