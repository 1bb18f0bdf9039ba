using Vireo.TestSupport;

namespace Vireo.Cli.Tests;

public sealed class AcpiDumpTests
{
    [AcpicaFact]
    public async Task DumpWritesEveryTableAndTheDsdtSurvivesIaslRoundTrip()
    {
        string dir = Directory.CreateTempSubdirectory("vireo-acpi-dump-").FullName;
        try
        {
            var stdout = new StringWriter();
            int status = await CommandLine.RunAsync(["acpi", "dump", "--out", dir, "--cpus", "4"], stdout, new StringWriter());

            Assert.Equal(0, status);
            foreach (string name in (string[])["DSDT.dat", "FACP.dat", "APIC.dat", "MCFG.dat", "FACS.dat", "XSDT.dat", "RSDP.dat"])
            {
                Assert.True(File.Exists(Path.Combine(dir, name)), name);
            }
            byte[] dsdt = File.ReadAllBytes(Path.Combine(dir, "DSDT.dat"));
            (string dsl, byte[] recompiled, _) = Acpica.DisassembleAndRecompile("DSDT", dsdt);
            Acpica.AssertSameBody(dsdt, recompiled);
            Assert.Contains("_S5", dsl, StringComparison.Ordinal);
            Assert.Contains("HGPE", dsl, StringComparison.Ordinal);
            Assert.Contains("PNP0D80", dsl, StringComparison.Ordinal);
            Assert.Contains("PNP0A08", dsl, StringComparison.Ordinal);
            (string mcfg, _, _) = Acpica.DisassembleAndRecompile("MCFG", File.ReadAllBytes(Path.Combine(dir, "MCFG.dat")));
            Assert.Matches(@"Base Address : 00000000E0000000", mcfg);
            // The DSDT vireo run builds loads in acpiexec and passes its predefined-name checks
            // (Exec fails on any error marker in the log).
            byte[] facp = File.ReadAllBytes(Path.Combine(dir, "FACP.dat"));
            string log = Acpica.Exec("test predefined", ("dsdt", dsdt), ("facp", facp));
            Assert.Matches(@"\\_S5\s+returned AE_OK", log);
            Assert.Contains("_DSM", log, StringComparison.Ordinal);
            // One local APIC entry (type 0, 8 bytes) per vCPU after the 44-byte MADT header.
            byte[] madt = File.ReadAllBytes(Path.Combine(dir, "APIC.dat"));
            int lapics = 0;
            for (int at = 44; at + 1 < madt.Length; at += madt[at + 1])
            {
                lapics += madt[at] == 0 ? 1 : 0;
            }
            Assert.Equal(4, lapics);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task DumpWithoutOutIsAUsageError()
    {
        var stderr = new StringWriter();
        Assert.Equal(2, await CommandLine.RunAsync(["acpi", "dump"], new StringWriter(), stderr));
        Assert.Contains("--out", stderr.ToString());
    }
}
