using Vireo.TestSupport;

namespace Vireo.Kvm.Tests;

/// <summary>Every arm64 struct, ioctl number, constant and register-id helper of Vireo.Kvm against
/// aarch64-linux-gnu-gcc's reading of Linux 6.12's arm64 uAPI headers.</summary>
public sealed class Arm64AbiLayoutTests : IClassFixture<Arm64AbiOracleFixture>
{
    private readonly Arm64AbiOracleFixture _fixture;

    public Arm64AbiLayoutTests(Arm64AbiOracleFixture fixture)
    {
        _fixture = fixture;
    }

    public static TheoryData<string> StructNames() => new(Arm64Layouts.All.Select(l => l.CType));

    public static TheoryData<string> IoctlNames() => new(Arm64AbiOracleFixture.Ioctls.Select(i => i.Macro));

    public static TheoryData<string> ConstantNames() => new(Arm64AbiOracleFixture.Constants.Select(c => c.Macro));

    [Aarch64GccTheory]
    [MemberData(nameof(StructNames))]
    public void Struct_matches_the_arm64_C_layout(string cType)
    {
        CStructLayout layout = Arm64Layouts.All.Single(l => l.CType == cType);

        IReadOnlyList<string> problems = _fixture.Oracle.Compare(layout);

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Aarch64GccTheory]
    [MemberData(nameof(IoctlNames))]
    public void Ioctl_number_matches_the_arm64_C_macro(string macro)
    {
        nuint ours = Arm64AbiOracleFixture.Ioctls.Single(i => i.Macro == macro).Value;

        Assert.Equal(_fixture.Oracle.Macro(macro), (ulong)ours);
    }

    [Aarch64GccTheory]
    [MemberData(nameof(ConstantNames))]
    public void Constant_matches_the_arm64_C_expression(string macro)
    {
        ulong ours = Arm64AbiOracleFixture.Constants.Single(c => c.Macro == macro).Value;

        Assert.Equal(_fixture.Oracle.Macro(macro), ours);
    }

    [Aarch64GccFact]
    public void Exit_data_offsets_used_by_VcpuExit_match_the_arm64_layout()
    {
        ulong unionOffset = KvmRun.ExitUnionOffset;
        ulong mmioDataOffset = KvmRun.MmioDataOffset;

        Assert.Equal(_fixture.Oracle.OffsetOf("struct kvm_run", "io"), unionOffset);
        Assert.Equal(_fixture.Oracle.OffsetOf("struct kvm_run", "mmio.data"), mmioDataOffset);
    }

    [Fact]
    public void Every_constant_is_listed_once()
    {
        string[] duplicates = [.. Arm64AbiOracleFixture.Constants.GroupBy(c => c.Macro).Where(g => g.Count() > 1).Select(g => g.Key)];

        Assert.Empty(duplicates);
    }
}
