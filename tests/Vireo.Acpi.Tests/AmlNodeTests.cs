using Vireo.TestSupport;
namespace Vireo.Acpi.Tests;

/// <summary>Every AML node against hand-derived bytes, and the same ASL compiled by iasl.</summary>
public sealed class AmlNodeTests
{
    public static TheoryData<string> CaseNames => [.. AmlCases.All.Keys];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Builder_emits_the_spec_bytes(string name)
    {
        AmlCase c = AmlCases.All[name];
        Assert.Equal(Bytes.Hex(c.Expected), Bytes.Hex(AmlSink.Render(c.Nodes)));
    }

    [AcpicaTheory]
    [MemberData(nameof(CaseNames))]
    public void Iasl_compiles_the_asl_to_the_same_bytes(string name)
    {
        AmlCase c = AmlCases.All[name];
        byte[] iasl = c.InMethod ? Acpica.CompileInMethod(c.Asl, c.Support) : Acpica.CompileBody(c.Asl);
        Assert.Equal(Bytes.Hex(c.Expected), Bytes.Hex(iasl));
    }
}
