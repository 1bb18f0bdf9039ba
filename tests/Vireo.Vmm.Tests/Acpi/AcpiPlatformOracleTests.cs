using Vireo.TestSupport;
using Vireo.Acpi;
using Vireo.Devices;

namespace Vireo.Vmm.Tests;

/// <summary>The platform's tables through ACPICA (RECIPE.md §2-§5): every table disassembled and
/// recompiled, and the DSDT, FADT and MADT loaded together by acpiexec.</summary>
public sealed class AcpiPlatformOracleTests
{
    private const ushort NotifyPort = 0x640;

    public static TheoryData<string, int> Tables => new()
    {
        { "DSDT", 1 }, { "FACP", 1 }, { "APIC", 1 }, { "APIC", 64 }, { "FACS", 1 }, { "XSDT", 1 }, { "MCFG", 1 },
    };

    [AcpicaTheory]
    [MemberData(nameof(Tables))]
    public void Iasl_disassembles_and_recompiles_each_table_unchanged(string signature, int vcpus)
    {
        byte[] table = Placed(vcpus).Single(t => t.Signature == signature).Bytes;
        (string dsl, byte[] recompiled, _) = Acpica.DisassembleAndRecompile(signature, table);
        Assert.DoesNotContain("Incorrect checksum", dsl, StringComparison.Ordinal);
        if (signature == "FACS")
        {
            Assert.Equal(Convert.ToHexString(table), Convert.ToHexString(recompiled));
        }
        else
        {
            // iasl restamps its compiler ID/revision and the checksum; the bodies must agree.
            Assert.Equal(table.Length, recompiled.Length);
            Acpica.AssertSameBody(table, recompiled);
            Assert.Equal(Convert.ToHexString(table.AsSpan(36)), Convert.ToHexString(recompiled.AsSpan(36)));
        }
    }

    [AcpicaFact]
    public void Acpiexec_loads_the_platform_evaluates_the_sleep_states_and_runs_a_gpe()
    {
        IReadOnlyList<PlacedAcpiTable> placed = Placed(4);
        string commands = string.Join(';',
            "evaluate \\_S5",
            "evaluate \\_S0",
            $"evaluate \\POKB 0x{NotifyPort:x} 0x80",
            "evaluate \\_GPE._E07",
            "find DEV0",
            "tables");
        string log = Acpica.Exec(commands,
            ("dsdt", Table(placed, "DSDT")),
            ("facp", Table(placed, "FACP")),
            ("apic", Table(placed, "APIC")),
            ("ssdt", Harness().ToBytes()));

        Assert.Matches(@"Evaluation of \\_S5 returned object .*\n.*\[Package\] Contains 4 Elements:\s*\n\s*\[Integer\] = 0000000000000007\s*\n\s*\[Integer\] = 0000000000000007\s*\n\s*\[Integer\] = 0000000000000000\s*\n\s*\[Integer\] = 0000000000000000", log);
        Assert.Matches(@"Evaluation of \\_S0 returned object .*\n.*\[Package\] Contains 4 Elements:(\s*\n\s*\[Integer\] = 0000000000000000){4}", log);
        // The GPE handler reads the code the host left at the notify port and notifies the device.
        Assert.Matches($@"\[READ\] Region \[SystemIO:1\], Width 1, ByteBase 0, Offset 0 at 0000000000000{NotifyPort:X3}\s*\n.*Value Read 0000000000000080", log);
        Assert.Contains("Received a Device Notify on [DEV0]", log);
        Assert.Contains("Value 0x80", log);
        Assert.Contains("\\_SB.DEV0 Device", log);
        // ACPICA took the FADT's GPE0 block: 64 GPEs (8 status + 8 enable bytes) on the SCI, IRQ 9.
        Assert.Contains("Initialized GPE 00 to 3F [_GPE] 8 regs on interrupt 0x9 (SCI)", log);
    }

    [AcpicaFact]
    public void The_host_gpe_methods_load_and_notify_their_device()
    {
        using var pm = new AcpiPmDevice(new RecordingSci());
        IReadOnlyList<PlacedAcpiTable> placed = new AcpiPlatform(2, [pm, .. HostGpes.Aml()]).Place().Tables;

        string log = Acpica.Exec("evaluate \\_GPE._E00;evaluate \\_GPE._E0F;find HGPE",
            ("dsdt", Table(placed, "DSDT")), ("facp", Table(placed, "FACP")));

        Assert.Equal(2, System.Text.RegularExpressions.Regex.Matches(log, @"Received a Device Notify on \[HGPE\]").Count);
        Assert.Contains("Value 0x80", log);
        Assert.Contains("\\_SB.HGPE Device", log);
    }

    [AcpicaFact]
    public void The_linux_machines_tables_load_with_the_pci_root_and_a_slot_device()
    {
        var config = new LinuxVmConfig
        {
            KernelPath = "unused",
            Cpus = 2,
            PciFunctions = [new PciAttachment(new Vireo.TestSupport.EchoPciFunction(), Slot: 3)],
        };
        IReadOnlyList<PlacedAcpiTable> placed = MachineBuilder.LinuxAcpiTables(config).Place().Tables;
        (string dsl, byte[] recompiled, _) = Acpica.DisassembleAndRecompile("DSDT", Table(placed, "DSDT"));
        Acpica.AssertSameBody(Table(placed, "DSDT"), recompiled);
        Assert.Contains("PNP0A08", dsl, StringComparison.Ordinal);
        Assert.Contains("Device (S03)", dsl, StringComparison.Ordinal);

        string log = Acpica.Exec(string.Join(';',
                "evaluate \\_SB.PCI0._CRS",
                "evaluate \\_SB.PCI0._PRT",
                "evaluate \\_SB.PCI0.S03._SUN",
                "test predefined"),
            ("dsdt", Table(placed, "DSDT")), ("facp", Table(placed, "FACP")), ("apic", Table(placed, "APIC")), ("mcfg", Table(placed, "MCFG")));
        Assert.Contains("[Package] Contains 128 Elements", log);
        Assert.Contains("[Integer] = 0000000000000003", log);
        Assert.Matches(@"_CRS\s+returned AE_OK|Evaluation of \\_SB.PCI0._CRS returned", log);
    }

    [AcpicaFact]
    public void Each_assigned_device_gets_its_power_resource_wake_and_notify_gpes_and_acpica_accepts_them()
    {
        using VfioPciFunction a = VfioPciFunction.Open(new KernelLikeVfioDevice(), "a");
        using VfioPciFunction b = VfioPciFunction.Open(new KernelLikeVfioDevice(), "b");
        var config = new LinuxVmConfig
        {
            KernelPath = "unused",
            PciFunctions = [new PciAttachment(a, Slot: 3), new PciAttachment(b, Slot: 4)],
        };
        IReadOnlyList<PlacedAcpiTable> placed = MachineBuilder.LinuxAcpiTables(config).Place().Tables;
        (string dsl, byte[] recompiled, _) = Acpica.DisassembleAndRecompile("DSDT", Table(placed, "DSDT"));
        Acpica.AssertSameBody(Table(placed, "DSDT"), recompiled);
        // Host GPEs are 0-15; each device takes the next free pair: notify, then wake.
        Assert.Matches(@"Name \(_PRW, Package \(0x02\)[^{]*\{\s*0x11,", dsl);
        Assert.Matches(@"Name \(_PRW, Package \(0x02\)[^{]*\{\s*0x13,", dsl);
        foreach (string method in new[] { "_E10", "_E11", "_E12", "_E13" })
        {
            Assert.Contains($"Method ({method}, 0, NotSerialized)", dsl, StringComparison.Ordinal);
        }

        string log = Acpica.Exec(string.Join(';',
                "evaluate \\_SB.PCI0.S03_._PR0",
                "evaluate \\_SB.PCI0.S04_._PR3",
                "evaluate \\_SB.PCI0.S03_._S0W",
                "evaluate \\_GPE._E11",
                "evaluate \\_GPE._E13",
                "test predefined"),
            ("dsdt", Table(placed, "DSDT")), ("facp", Table(placed, "FACP")), ("apic", Table(placed, "APIC")), ("mcfg", Table(placed, "MCFG")));
        Acpica.AssertNoErrorMarkers("assigned devices' AML", log);
        Assert.Matches(@"Reference.*PRES", log);
        Assert.Contains("[Integer] = 0000000000000004", log);
        // Each wake GPE notifies its own device with 2 (Device Wake).
        Assert.Matches(@"(?s)Received a System Notify on \[S03_\] 0x[0-9a-f]+ Value 0x02.*Received a System Notify on \[S04_\] 0x[0-9a-f]+ Value 0x02", log);
    }

    [AcpicaFact]
    public void Acpiexec_predefined_name_checks_pass()
    {
        // Each node is warned about once per run, so this gets its own invocation (RECIPE.md §3).
        IReadOnlyList<PlacedAcpiTable> placed = Placed(2);
        string log = Acpica.Exec("test predefined", ("dsdt", Table(placed, "DSDT")), ("facp", Table(placed, "FACP")));
        Assert.Matches(@"\\_S0\s+returned AE_OK", log);
        Assert.Matches(@"\\_S5\s+returned AE_OK", log);
    }

    private static IReadOnlyList<PlacedAcpiTable> Placed(int vcpus)
    {
        using var pm = new AcpiPmDevice(new RecordingSci());
        IAml device = new AmlScope("\\_SB",
            new AmlDevice("DEV0",
                new AmlName("_HID", new AmlEisaId("PNP0C02")),
                new AmlName("_UID", AmlInteger.Zero)));
        IAml gpe = GpeNotifyMethod.ReadingCodeFrom(7, GpeTrigger.Edge, "\\_SB.DEV0", NotifyPort);
        return new AcpiPlatform(vcpus, [pm, device, gpe], mcfg: new Mcfg(new McfgAllocation(0xe000_0000, 0, 0, 0))).Place().Tables;
    }

    private static byte[] Table(IReadOnlyList<PlacedAcpiTable> placed, string signature) =>
        placed.Single(t => t.Signature == signature).Bytes;

    /// <summary>Test-only SSDT: \POKB (port, byte) writes a SystemIO port through acpiexec's
    /// simulated regions, standing in for the VMM that fills the notify port.</summary>
    private static Ssdt Harness() => new(
        new AmlMethod("\\POKB", 2, serialized: true,
            new AmlOperationRegion("HIO", AcpiAddressSpace.SystemIO, new AmlArg(0), AmlInteger.One),
            new AmlField("HIO", AmlFieldAccess.ByteAcc, false, AmlFieldUpdate.Preserve, AmlFieldUnit.Named("HVAL", 8)),
            new AmlStore(new AmlArg(1), new AmlPath("HVAL"))))
    {
        Oem = AcpiOem.Vireo with { OemTableId = "HARNESS" },
    };
}
