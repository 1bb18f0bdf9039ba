using Vireo.TestSupport;
using Xunit.Sdk;

namespace Vireo.Acpi.Tests;

/// <summary>The oracle must not be fooled by ACPICA's exit codes (RECIPE.md §4): each of these
/// damaged inputs passes an exit-code-only check, and the helpers must still fail.</summary>
public sealed class OracleSelfTests
{
    [AcpicaFact]
    public void A_bad_table_checksum_is_caught_by_the_disassembler()
    {
        byte[] dsdt = new Dsdt(new AmlName("X", AmlInteger.One)).ToBytes();
        dsdt[9] ^= 0x5A;
        Assert.ThrowsAny<XunitException>(() => Acpica.DisassembleAndRecompile("badsum", dsdt));
    }

    [AcpicaFact]
    public void A_short_predefined_package_is_caught_by_test_predefined()
    {
        // _PRW needs at least two elements; acpiexec only warns, with exit status 0.
        byte[] dsdt = new Dsdt(new AmlScope("\\_SB",
            new AmlDevice("DEV0",
                new AmlName("_ADR", AmlInteger.Zero),
                new AmlName("_PRW", new AmlPackage(AmlInteger.One))))).ToBytes();
        Assert.ThrowsAny<XunitException>(() => Acpica.Exec("test predefined", ("dsdt", dsdt)));
    }

    [AcpicaFact]
    public void A_silently_repaired_return_value_is_caught()
    {
        // _STA must return an Integer; ACPICA converts the String and carries on.
        byte[] dsdt = new Dsdt(new AmlScope("\\_SB",
            new AmlDevice("DEV0",
                new AmlName("_ADR", AmlInteger.Zero),
                new AmlMethod("_STA", 0, false, new AmlReturn(new AmlString("15")))))).ToBytes();
        Assert.ThrowsAny<XunitException>(() => Acpica.Exec("evaluate \\_SB.DEV0._STA", ("dsdt", dsdt)));
    }

    [AcpicaFact]
    public void A_failed_evaluation_is_caught()
    {
        byte[] dsdt = new Dsdt(new AmlName("X", AmlInteger.One)).ToBytes();
        Assert.ThrowsAny<XunitException>(() => Acpica.Exec("evaluate \\NOPE", ("dsdt", dsdt)));
    }

    [AcpicaFact]
    public void Invalid_asl_is_rejected()
    {
        Assert.ThrowsAny<XunitException>(() => Acpica.CompileBody("Name (X, Zero"));
    }
}
