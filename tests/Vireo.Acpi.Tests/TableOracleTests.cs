using Vireo.TestSupport;
namespace Vireo.Acpi.Tests;

/// <summary>The generated tables through ACPICA: iasl -d plus a recompile for every table, and the
/// DSDT executed in acpiexec (RECIPE.md §2-§5).</summary>
public sealed class TableOracleTests
{
    // The Intel LPS0 UUID in ToUUID byte order, as acpiexec takes a buffer argument.
    private const string LpsUuidBuffer = "(a0 40 eb c4 d2 6c e2 11 bc fd 08 00 20 0c 9a 66)";

    public static TheoryData<string> TableNames => ["DSDT", "SSDT", "FACP", "APIC", "MCFG", "XSDT", "FACS"];

    private static byte[] Table(string name) => name switch
    {
        "DSDT" => SamplePlatform.Dsdt().ToBytes(),
        "SSDT" => SamplePlatform.Harness().ToBytes(),
        "FACP" => SamplePlatform.Fadt().ToBytes(),
        "APIC" => SamplePlatform.Madt(300).ToBytes(),
        "MCFG" => SamplePlatform.Mcfg().ToBytes(),
        "XSDT" => new Xsdt(0x000E_1000, 0x000E_2000).ToBytes(),
        "FACS" => new Facs().ToBytes(),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [AcpicaTheory]
    [MemberData(nameof(TableNames))]
    public void Iasl_disassembles_and_recompiles_the_table_unchanged(string name)
    {
        byte[] table = Table(name);
        (string dsl, byte[] recompiled, _) = Acpica.DisassembleAndRecompile(name, table);
        Assert.DoesNotContain("Incorrect checksum", dsl, StringComparison.Ordinal);
        if (name == "FACS")
        {
            // No header, so nothing for iasl to restamp.
            Assert.Equal(Bytes.Hex(table), Bytes.Hex(recompiled));
        }
        else
        {
            // iasl restamps Compiler ID/Revision and the checksum; the bodies must agree.
            Assert.Equal(table.Length, recompiled.Length);
            Acpica.AssertSameBody(table, recompiled);
            Assert.Equal(Bytes.Hex(table.AsSpan(36)), Bytes.Hex(recompiled.AsSpan(36)));
        }
    }

    [AcpicaFact]
    public void Acpiexec_loads_the_platform_and_runs_its_methods()
    {
        string commands = string.Join(';',
            $"evaluate \\_SB.LPS0._DSM {LpsUuidBuffer} 0 0 [ ]",
            $"evaluate \\_SB.LPS0._DSM {LpsUuidBuffer} 0 5 [ ]",
            "evaluate \\_SB.LPS0._DSM (00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff) 0 0 [ ]",
            "evaluate \\POKB 0x610 0x80",
            "evaluate \\_GPE._E00",
            "evaluate \\_SB.PR00._ON",
            "evaluate \\_SB.PR00._STA",
            "evaluate \\_SB.PCI0.D01._PRW",
            "evaluate \\_SB.PCI0.D01._S0W",
            "evaluate \\_SB.PCI0._HID",
            "evaluate \\SUMN 0x5",
            "find D01_");
        string log = Acpica.Exec(commands,
            ("dsdt", SamplePlatform.Dsdt().ToBytes()),
            ("ssdt", SamplePlatform.Harness().ToBytes()),
            ("facp", SamplePlatform.Fadt().ToBytes()),
            ("apic", SamplePlatform.Madt().ToBytes()),
            ("mcfg", SamplePlatform.Mcfg().ToBytes()));

        // _DSM function 0: functions 0, 3, 4, 5, 6 -> 0x79; an unknown UUID -> 0x00.
        Assert.Contains("[Buffer] Length 01 =     0000: 79", log);
        Assert.Contains("[Buffer] Length 01 =     0000: 00", log);
        // Function 5 writes 0x15 to the s2idle port.
        Assert.Matches(@"\[WRITE\] Region \[SystemIO:1\], Width 1, ByteBase 0, Offset 0 at 0000000000000600\s*\n.*Value Written 0000000000000015", log);
        // GPE 0 reads 0x80 from the notify port and notifies D01 with it.
        Assert.Matches(@"\[READ\] Region \[SystemIO:1\], Width 1, ByteBase 0, Offset 0 at 0000000000000610\s*\n.*Value Read 0000000000000080", log);
        Assert.Contains("Received a Device Notify on [D01_]", log);
        Assert.Contains("Value 0x80", log);
        Assert.Contains("\\_SB.PCI0.D01 Device", log);
        // Power resource on, then _STA reads 1 back.
        Assert.Matches(@"at 0000000000000620\s*\n.*Value Written 0000000000000001", log);
        Assert.Contains("[Integer] = 0000000000000001", log);
        Assert.Contains("Contains 2 Elements", log);                 // _PRW
        Assert.Contains("[Integer] = 0000000000000004", log);        // _S0W
        Assert.Contains("[Integer] = 00000000080AD041", log);        // EISAID PNP0A08
        Assert.Contains("[Integer] = 000000000000000A", log);        // SUMN (5) = 0+1+2+3+4
    }

    [AcpicaFact]
    public void Acpiexec_predefined_name_checks_pass()
    {
        // Each node is warned about once per run, so this gets its own invocation (RECIPE.md §3).
        string log = Acpica.Exec("test predefined",
            ("dsdt", SamplePlatform.Dsdt().ToBytes()),
            ("facp", SamplePlatform.Fadt().ToBytes()));
        Assert.Contains("_DSM", log);
    }

    [AcpicaFact]
    public void Acpiexec_accepts_the_fadt_of_a_full_table_set()
    {
        // The FADT as the table set links it: its checksum and 32/64-bit fields go through
        // ACPICA's FADT parser (tbfadt.c), which warns on any mismatch.
        var set = new AcpiTableSet(SamplePlatform.Fadt(), new Facs(), SamplePlatform.Dsdt(), SamplePlatform.Madt(), SamplePlatform.Mcfg());
        IReadOnlyList<PlacedAcpiTable> placed = set.Place(0xE_0000, 0xE_0040);
        (string, byte[])[] tables = placed
            .Where(p => p.Signature is "DSDT" or "FACP" or "APIC" or "MCFG")
            .Select(p => (p.Signature.ToLowerInvariant(), p.Bytes))
            .ToArray();
        string log = Acpica.Exec("tables", tables);
        Assert.Contains("FACP", log);
        Assert.Contains("APIC", log);
    }
}
