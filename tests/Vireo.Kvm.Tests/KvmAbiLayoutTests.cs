using Vireo.TestSupport;

namespace Vireo.Kvm.Tests;

/// <summary>Every kernel struct, ioctl number and constant of Vireo.Kvm against gcc's reading of
/// the host's linux/kvm.h.</summary>
public sealed class KvmAbiLayoutTests : IClassFixture<KvmAbiOracleFixture>
{
    private readonly KvmAbiOracleFixture _fixture;

    public KvmAbiLayoutTests(KvmAbiOracleFixture fixture)
    {
        _fixture = fixture;
    }

    public static TheoryData<string> StructNames() => new(KvmLayouts.All.Select(l => l.CType));

    public static TheoryData<string> IoctlNames() => new(KvmAbiOracleFixture.Ioctls.Select(i => i.Macro));

    public static TheoryData<string> ConstantNames() => new(KvmAbiOracleFixture.Constants.Select(c => c.Macro));

    [GccTheory]
    [MemberData(nameof(StructNames))]
    public void Struct_matches_the_C_layout(string cType)
    {
        CStructLayout layout = KvmLayouts.All.Single(l => l.CType == cType);

        IReadOnlyList<string> problems = _fixture.Oracle.Compare(layout);

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [GccTheory]
    [MemberData(nameof(IoctlNames))]
    public void Ioctl_number_matches_the_C_macro(string macro)
    {
        nuint ours = KvmAbiOracleFixture.Ioctls.Single(i => i.Macro == macro).Value;

        Assert.Equal(_fixture.Oracle.Macro(macro), (ulong)ours);
    }

    [GccTheory]
    [MemberData(nameof(ConstantNames))]
    public void Constant_matches_the_C_macro(string macro)
    {
        ulong ours = KvmAbiOracleFixture.Constants.Single(c => c.Macro == macro).Value;

        Assert.Equal(_fixture.Oracle.Macro(macro), ours);
    }

    [GccFact]
    public void Exit_data_offsets_used_by_VcpuExit_match_the_C_layout()
    {
        ulong unionOffset = KvmRun.ExitUnionOffset;
        ulong mmioDataOffset = KvmRun.MmioDataOffset;

        Assert.Equal(_fixture.Oracle.OffsetOf("struct kvm_run", "io"), unionOffset);
        Assert.Equal(_fixture.Oracle.OffsetOf("struct kvm_run", "mmio.data"), mmioDataOffset);
    }

    [GccFact]
    public void Oracle_reports_a_wrong_layout()
    {
        // The oracle itself must be able to fail: a struct paired with the wrong C type differs.
        CStructLayout wrong = CStructLayout.Of<KvmRegs>("struct kvm_sregs").Field("cr0", (ref KvmRegs s) => ref s.Rax);
        CLayoutOracle oracle = CLayoutOracle.Run(["linux/kvm.h"], [wrong], []);

        IReadOnlyList<string> problems = oracle.Compare(wrong);

        Assert.Equal(2, problems.Count);
        Assert.Contains("sizeof(struct kvm_sregs)", problems[0], StringComparison.Ordinal);
        Assert.Contains("offsetof(struct kvm_sregs, cr0)", problems[1], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("NrMemslots", "NR_MEMSLOTS")]
    [InlineData("X2apicApi", "X2APIC_API")]
    [InlineData("Pit2", "PIT2")]
    [InlineData("PicMaster", "PIC_MASTER")]
    public void Enum_names_map_to_macro_names(string pascal, string macro)
        => Assert.Equal(macro, KvmAbiOracleFixture.ToMacroCase(pascal));
}
