using System.Globalization;
using System.Text.RegularExpressions;
using Vireo.Acpi;
using Vireo.Memory;
using Vireo.TestSupport;

namespace Vireo.Devices.Tests.PowerManagement;

public sealed class SlotPowerAmlTests
{
    // What slot 3's device renders (port 0x640, notify GPE 0x10, wake GPE 0x11), inside the
    // slot Device that PciSlotAml renders, with the minimal \_SB.PCI0 around it.
    private const string SlotAsl = """
        Scope (\_SB)
        {
            Device (PCI0)
            {
                Device (S03_)
                {
                    Name (_ADR, 0x00030000)
                    Name (_SUN, 0x03)
                    OperationRegion (PWRR, SystemIO, 0x0640, 0x04)
                    Field (PWRR, ByteAcc, NoLock, Preserve) { PCMD, 8, PSTA, 8 }
                    Field (PWRR, WordAcc, NoLock, Preserve) { Offset (0x02), PNTF, 16 }
                    PowerResource (PRES, 0, 0)
                    {
                        Method (_STA, 0) { Return (PCMD) }
                        Method (_ON, 0) { PCMD = 0x11 }
                        Method (_OFF, 0) { PCMD = 0x10 }
                    }
                    Name (_PR0, Package () { PRES })
                    Name (_PR3, Package () { PRES })
                    Method (_PS0, 0) { PCMD = Zero }
                    Method (_PS3, 0) { PCMD = 0x03 }
                    Name (_S0W, 0x04)
                    Name (_PRW, Package () { 0x11, Zero })
                    Method (_DSW, 3) { If (Arg0) { PCMD = 0x21 } Else { PCMD = 0x20 } }
                    Method (_STA, 0) { Return (PSTA) }
                }
            }
        }
        Scope (\_GPE) { Method (_E11, 0) { Notify (\_SB.PCI0.S03_, 0x02) } }
        Scope (\_GPE)
        {
            Method (_E10, 0)
            {
                Local1 = Zero
                While ((Local1 < 64))
                {
                    Local0 = \_SB.PCI0.S03_.PNTF
                    If ((Local0 == Zero)) { Break }
                    Notify (\_SB.PCI0.S03_, (Local0 & 0xFF))
                    Local1++
                }
            }
        }
        """;

    private const string Slot3 = "\\_SB.PCI0.S03_";

    private static SlotPowerDevice Device(int slot, ushort port, int notifyGpe, int wakeGpe) =>
        new(new PioAddress(port), notifyGpe, wakeGpe, new PciSlotAml(slot).Path, _ => { });

    private static SlotPowerDevice Slot3Device() => Device(3, 0x640, 0x10, 0x11);

    /// <summary>\_SB.PCI0 holding one PciSlotAml per device with its slot objects added, then
    /// each device's GPE methods: the layout the VMM builds.</summary>
    private static IAml[] Body(params (int Slot, SlotPowerDevice Device)[] slots)
    {
        var devices = new List<IAml>();
        foreach ((int slot, SlotPowerDevice device) in slots)
        {
            var aml = new PciSlotAml(slot);
            foreach (IAml child in device.SlotObjects())
            {
                aml.Add(child);
            }
            devices.Add(aml);
        }
        return [new AmlScope("\\_SB", new AmlDevice("PCI0", devices)), .. slots.Select(s => s.Device)];
    }

    private static byte[] Table(params (int Slot, SlotPowerDevice Device)[] slots) => new Dsdt(Body(slots)).ToBytes();

    /// <summary>A DSDT with slot 3's Device and, beside it in the bus's scope, its eject object
    /// (as MachineBuilder places them).</summary>
    private static byte[] TableWithEject()
    {
        SlotPowerDevice device = Slot3Device();
        var aml = new PciSlotAml(3);
        foreach (IAml child in device.SlotObjects())
        {
            aml.Add(child);
        }
        aml.AddSibling(device.EjectObject("E03_", 3));
        return new Dsdt([new AmlScope("\\_SB", new AmlDevice("PCI0", [aml])), device]).ToBytes();
    }

    /// <summary>The eject object answers for function 7 of the slot (no companion of a real
    /// function), has the slot's _SUN, and its _EJ0 (1) writes Eject to the slot's window while
    /// _EJ0 (0) writes nothing: what acpiphp runs after it removed the slot's functions.</summary>
    [AcpicaFact]
    public void TheEjectObjectBesideTheSlotWritesEjectToTheSlotsWindow()
    {
        string predefined = Acpica.Exec("test predefined", ("dsdt", TableWithEject()));
        foreach (string name in new[] { "E03._ADR", "E03._SUN", "E03._EJ0", "S03._PS3", "S03._STA" })
        {
            Assert.Matches($@"\\_SB\.PCI0\.{Regex.Escape(name)}\s+returned AE_OK", predefined);
        }
        string log = Acpica.Exec(string.Join(';',
                "evaluate \\_SB.PCI0.E03_._ADR",
                "evaluate \\_SB.PCI0.E03_._EJ0 0x0",
                "evaluate \\_SB.PCI0.E03_._EJ0 0x1"),
            ("dsdt", TableWithEject()));

        Assert.Contains("[Integer] = 0000000000030007", log, StringComparison.Ordinal);
        Assert.Equal([new Access("WRITE", 1, 0x640, (ulong)SlotPowerCommand.Eject)], Accesses(log));
    }

    [Fact]
    public void TheSlotObjectsCarryThePortTheGpeAndTheCommandBytes()
    {
        string hex = Convert.ToHexString(AmlSink.Render(Slot3Device().SlotObjects()));
        // OperationRegion (PWRR, SystemIO, 0x0640, 0x04)
        Assert.Contains("5B8050575252" + "01" + "0B4006" + "0A04", hex, StringComparison.Ordinal);
        // Field (PWRR, ByteAcc, NoLock, Preserve) { PCMD, 8, PSTA, 8 }
        Assert.Contains("5B8110" + "50575252" + "01" + "50434D4408" + "5053544108", hex, StringComparison.Ordinal);
        // Method (_STA, 0) { Return (PSTA) }
        Assert.Contains("140B" + "5F535441" + "00" + "A4" + "50535441", hex, StringComparison.Ordinal);
        // Field (PWRR, WordAcc, NoLock, Preserve) { Offset (0x02), PNTF, 16 }
        Assert.Contains("5B810D50575252" + "02" + "0010" + "504E5446" + "10", hex, StringComparison.Ordinal);
        // Name (_PRW, Package () { 0x11, Zero })
        Assert.Contains("085F505257" + "1205020A1100", hex, StringComparison.Ordinal);
        // Name (_S0W, 0x04)
        Assert.Contains("085F5330570A04", hex, StringComparison.Ordinal);
        // PCMD = 0x11, 0x10, Zero, 0x03, 0x21, 0x20
        foreach (string store in new[] { "700A11", "700A10", "7000", "700A03", "700A21", "700A20" })
        {
            Assert.Contains(store + "50434D44", hex, StringComparison.Ordinal);
        }
        // No _EJ0: Linux's acpi_pci_set_power_state ignores the ACPI power methods of a device
        // whose companion has one, which would stop its runtime PM at a native D3hot.
        Assert.DoesNotContain("5F454A30", hex, StringComparison.Ordinal);
    }

    [Fact]
    public void TheGpeMethodsAreNamedByTheirGpes()
    {
        string hex = Convert.ToHexString(AmlSink.Render(Device(4, 0x644, 0x2A, 0x0B)));
        Assert.Contains(Convert.ToHexString("_E0B"u8), hex, StringComparison.Ordinal);
        Assert.Contains(Convert.ToHexString("_E2A"u8), hex, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToHexString("_E10"u8), hex, StringComparison.Ordinal);
    }

    [AcpicaFact]
    public void TheSlotAndItsGpeMethodsMatchIasl()
    {
        byte[] mine = AmlSink.Render(Body((3, Slot3Device())));
        Assert.Equal(Convert.ToHexString(Acpica.CompileBody(SlotAsl)), Convert.ToHexString(mine));
    }

    [AcpicaFact]
    public void IaslDisassemblesAndRecompilesTwoSlotsUnchanged()
    {
        byte[] table = Table((3, Slot3Device()), (4, Device(4, 0x644, 0x12, 0x13)));
        (string dsl, byte[] recompiled, _) = Acpica.DisassembleAndRecompile("DSDT", table);
        Assert.Contains("PowerResource (PRES", dsl, StringComparison.Ordinal);
        Acpica.AssertSameBody(table, recompiled);
        Assert.Equal(Convert.ToHexString(table.AsSpan(36)), Convert.ToHexString(recompiled.AsSpan(36)));
    }

    [AcpicaFact]
    public void AcpiexecFindsThePredefinedObjectsWellFormed()
    {
        // Each node is warned about once per run, so this has its own invocation (RECIPE.md §3).
        string log = Acpica.Exec("test predefined", ("dsdt", Table((3, Slot3Device()))));
        // acpiexec prints paths with the NameSegs' trailing '_' padding trimmed.
        foreach (string name in new[] { "_PR0", "_PR3", "_PS0", "_PS3", "_S0W", "_PRW", "_DSW", "_STA", "PRES._STA", "PRES._ON", "PRES._OFF" })
        {
            Assert.Matches($@"\\_SB\.PCI0\.S03\.{Regex.Escape(name)}\s+returned AE_OK", log);
        }
    }

    public static TheoryData<string, byte> Methods => new()
    {
        { "PRES._ON", 0x11 },
        { "PRES._OFF", 0x10 },
        { "_PS0", 0x00 },
        { "_PS3", 0x03 },
        { "_DSW 0x1 0x0 0x3", 0x21 },
        { "_DSW 0x0 0x0 0x0", 0x20 },
    };

    [AcpicaTheory]
    [MemberData(nameof(Methods))]
    public void EachPowerMethodWritesItsCommandByteToThePort(string method, byte command)
    {
        string log = Acpica.Exec($"evaluate {Slot3}.{method}", ("dsdt", Table((3, Slot3Device()))));

        Assert.Equal([new Access("WRITE", 1, 0x640, command)], Accesses(log));
        // The byte the AML writes is one the device knows, and means what the method is for.
        Assert.True(Enum.IsDefined((SlotPowerCommand)command));
    }

    /// <summary>Linux's runtime suspend to D3cold and resume (acpi_device_set_power with wake
    /// armed: _DSW, _PS3, the resource's _OFF; then _ON, _PS0, _DSW off), run by acpiexec, and the
    /// bytes it writes fed to the device model: the model sees D3cold, then D0 again.</summary>
    [AcpicaFact]
    public void LinuxsRuntimeD3ColdSequenceDrivesTheDeviceModelThereAndBack()
    {
        string[] sequence = ["_DSW 0x1 0x0 0x3", "_PS3", "PRES._OFF", "PRES._ON", "_PS0", "_DSW 0x0 0x0 0x0"];
        string log = Acpica.Exec(string.Join(';', sequence.Select(m => $"evaluate {Slot3}.{m}")), ("dsdt", Table((3, Slot3Device()))));
        List<Access> writes = Accesses(log);
        Assert.Equal(sequence.Length, writes.Count);
        Assert.All(writes, w => Assert.Equal(("WRITE", 1, 0x640), (w.Kind, w.Width, w.Port)));

        SlotPowerDevice model = Slot3Device();
        var seen = new List<(SlotPowerCommand Command, SlotDeviceState State, bool Wake)>();
        model.CommandWritten += c => seen.Add((c, model.State, model.WakeArmed));
        foreach (Access write in writes)
        {
            model.Write(SlotPowerDevice.CommandOffset, [(byte)write.Value]);
        }

        Assert.Equal(
            [
                (SlotPowerCommand.EnableWake, SlotDeviceState.D0, true),
                (SlotPowerCommand.EnterD3Hot, SlotDeviceState.D3Hot, true),
                (SlotPowerCommand.PowerOff, SlotDeviceState.D3Cold, true),
                (SlotPowerCommand.PowerOn, SlotDeviceState.D0, true),
                (SlotPowerCommand.EnterD0, SlotDeviceState.D0, true),
                (SlotPowerCommand.DisableWake, SlotDeviceState.D0, false),
            ],
            seen);
        Assert.Equal(0, model.IgnoredWrites);
    }

    [AcpicaFact]
    public void ThePowerResourceStatusIsTheByteThePortReturns()
    {
        string log = Acpica.Exec(string.Join(';',
                "evaluate \\POKB 0x640 0x1",
                $"evaluate {Slot3}.PRES._STA",
                "evaluate \\POKB 0x640 0x0",
                $"evaluate {Slot3}.PRES._STA"),
            ("dsdt", Table((3, Slot3Device()))), ("ssdt", Harness()));

        Assert.Equal(["0000000000000001", "0000000000000000"],
            Regex.Matches(log, @"Evaluation of \\_SB\.PCI0\.S03_\.PRES\._STA returned object [^\n]*\n\s*\[Integer\] = ([0-9A-F]+)").Select(m => m.Groups[1].Value));
        Assert.Equal(2, Accesses(log).Count(a => a is { Kind: "READ", Width: 1, Port: 0x640 }));
    }

    /// <summary>_STA (port +1) reads what the model answers: present, then 0 once the model
    /// took the Eject command. acpiexec has no device, so the harness pokes the answers into the
    /// simulated port.</summary>
    [AcpicaFact]
    public void TheSlotStatusIsWhatTheModelAnswersBeforeAndAfterAnEject()
    {
        SlotPowerDevice model = Slot3Device();
        byte[] status = new byte[1];
        model.Read(SlotPowerDevice.StatusOffset, status);
        byte before = status[0];
        string presentLog = Acpica.Exec(string.Join(';',
                PrimeWindow(Slot3),
                $"evaluate \\POKB 0x641 0x{before:X}",
                $"evaluate {Slot3}._STA"),
            ("dsdt", Table((3, Slot3Device()))), ("ssdt", Harness()));

        model.Write(SlotPowerDevice.CommandOffset, [(byte)SlotPowerCommand.Eject]);
        model.Read(SlotPowerDevice.StatusOffset, status);
        string afterLog = Acpica.Exec(string.Join(';',
                PrimeWindow(Slot3),
                $"evaluate \\POKB 0x641 0x{status[0]:X}",
                $"evaluate {Slot3}._STA"),
            ("dsdt", Table((3, Slot3Device()))), ("ssdt", Harness()));

        Assert.Equal([$"{SlotPowerDevice.PresentStatus:X16}"], SlotStatuses(presentLog));
        Assert.Equal(["0000000000000000"], SlotStatuses(afterLog));
        Assert.True(model.IsEjected);
    }

    [AcpicaFact]
    public void TheWakeGpeNotifiesTheSlotWithDeviceWake()
    {
        string log = Acpica.Exec("evaluate \\_GPE._E11;find S03_", ("dsdt", Table((3, Slot3Device()))));

        Assert.Equal([("S03_", 0x02)], Notifies(log));
        Assert.Contains("\\_SB.PCI0.S03 Device", log, StringComparison.Ordinal);
        // The wake method reads nothing: the wake carries no code.
        Assert.Empty(Accesses(log));
    }

    [AcpicaFact]
    public void TheNotifyGpeForwardsTheMailboxCodeAndStopsAfterNotifyCapacity()
    {
        // acpiexec's port keeps answering 0x180, as a mailbox that never empties would: the loop
        // must notify 0x80 exactly NotifyCapacity times and then return.
        string log = Acpica.Exec(string.Join(';',
                PrimeWindow(Slot3),
                "evaluate \\POKB 0x642 0x80",
                "evaluate \\POKB 0x643 0x1",
                "evaluate \\_GPE._E10"),
            ("dsdt", Table((3, Slot3Device()))), ("ssdt", Harness()));

        Assert.Equal(Enumerable.Repeat(("S03_", 0x80), SlotPowerDevice.NotifyCapacity), Notifies(log));
        Assert.Equal(SlotPowerDevice.NotifyCapacity, Accesses(log).Count(a => a == new Access("READ", 2, 0x642, 0x180)));
        Assert.Contains("No object was returned from evaluation of \\_GPE._E10", log, StringComparison.Ordinal);
    }

    [AcpicaFact]
    public void TheNotifyGpeWithAnEmptyMailboxReadsOnceAndNotifiesNothing()
    {
        string log = Acpica.Exec("evaluate \\_GPE._E10", ("dsdt", Table((3, Slot3Device()))));

        Assert.Empty(Notifies(log));
        Assert.Equal([new Access("READ", 2, 0x642, 0)], Accesses(log));
    }

    [AcpicaFact]
    public void TheMailboxCodeZeroIsForwardedAsBusCheck()
    {
        // 0x100 is code 0 queued; only 0 itself means "empty".
        string log = Acpica.Exec(string.Join(';', PrimeWindow(Slot3), "evaluate \\POKB 0x643 0x1", "evaluate \\_GPE._E10"),
            ("dsdt", Table((3, Slot3Device()))), ("ssdt", Harness()));

        Assert.Equal(Enumerable.Repeat(("S03_", 0x00), SlotPowerDevice.NotifyCapacity), Notifies(log));
    }

    // GPE method, the device it must notify, the code, the mailbox it must read (0: none).
    public static TheoryData<string, string, int, int> TwoSlotGpes => new()
    {
        { "_E10", "S03_", 0x81, 0x642 },
        { "_E11", "S03_", 0x02, 0 },
        { "_E12", "S04_", 0x82, 0x646 },
        { "_E13", "S04_", 0x02, 0 },
    };

    /// <summary>Two devices in one table, each mailbox holding a different code: every GPE
    /// method notifies its own device only, with its own device's code.</summary>
    [AcpicaTheory]
    [MemberData(nameof(TwoSlotGpes))]
    public void WithTwoSlotsEachGpeMethodNotifiesOnlyItsOwnDevice(string method, string device, int code, int mailbox)
    {
        byte[] table = Table((3, Slot3Device()), (4, Device(4, 0x644, 0x12, 0x13)));
        string log = Acpica.Exec(string.Join(';',
                PrimeWindow(Slot3),
                PrimeWindow("\\_SB.PCI0.S04_"),
                "evaluate \\POKB 0x642 0x81",
                "evaluate \\POKB 0x643 0x1",
                "evaluate \\POKB 0x646 0x82",
                "evaluate \\POKB 0x647 0x1",
                $"evaluate \\_GPE.{method}"),
            ("dsdt", table), ("ssdt", Harness()));

        int expected = mailbox == 0 ? 1 : SlotPowerDevice.NotifyCapacity;
        Assert.Equal(Enumerable.Repeat((device, code), expected), Notifies(log));
        string gpeRun = log[log.IndexOf($"Evaluating \\_GPE.{method}", StringComparison.Ordinal)..];
        Assert.All(Accesses(gpeRun), a => Assert.Equal(new Access("READ", 2, mailbox, (ulong)(0x100 | code)), a));
        Assert.Equal(expected == 1 ? 0 : expected, Accesses(gpeRun).Count);
    }

    /// <summary>acpiexec keeps one simulated buffer per region that touched a range, and two
    /// one-byte pokes at 0x642 and 0x643 merged into PWRR's buffer later lost the first (seen with
    /// 20200925). Reading through PWRR first (the power resource's _STA) makes the window's
    /// 4-byte buffer the one the pokes land in.</summary>
    private static string PrimeWindow(string device) => $"evaluate {device}.PRES._STA";

    private sealed record Access(string Kind, int Width, int Port, ulong Value);

    // RECIPE.md §3 (a): each access line is followed by its value line; indentation follows depth.
    private static readonly Regex s_access = new(
        @"\[(READ|WRITE)\] Region \[SystemIO:1\], Width (\d), ByteBase \d+, Offset \d+ at ([0-9A-F]+)\s*\n[^\n]*Value (?:Read|Written) ([0-9A-F]+), Width \d");

    private static readonly Regex s_notifyMessage = new(@"ACPI Exec: Global:\s+Received a (?:Device|System) Notify on [^\n]*\n");

    private static readonly Regex s_notify = new(@"Received a (?:Device|System) Notify on \[(\w{4})\] 0x[0-9a-f]+ Value 0x([0-9A-F]{2})");

    /// <summary>SystemIO accesses in the slot windows (0x640-0x647) made by the evaluated methods:
    /// not the harness's own, and not those of acpiexec's namespace initialisation before the
    /// first evaluation (which runs each Device's _STA, as an OS's scan does).</summary>
    private static List<Access> Accesses(string log)
    {
        // The notify handler prints from its own thread, sometimes into the middle of an access
        // line; without its messages the access and value lines are whole again.
        string quiet = s_notifyMessage.Replace(log, "");
        string slotPart = string.Join('\n', quiet.Split("Evaluating ").Skip(1).Where(e => !e.StartsWith("\\POKB", StringComparison.Ordinal)));
        return s_access.Matches(slotPart)
            .Select(m => new Access(m.Groups[1].Value, int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture),
                int.Parse(m.Groups[3].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                ulong.Parse(m.Groups[4].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture)))
            .ToList();
    }

    private static List<string> SlotStatuses(string log) =>
        Regex.Matches(log, @"Evaluation of \\_SB\.PCI0\.S03_\._STA returned object [^\n]*\n\s*\[Integer\] = ([0-9A-F]+)").Select(m => m.Groups[1].Value).ToList();

    private static List<(string Device, int Value)> Notifies(string log) =>
        s_notify.Matches(log)
            .Select(m => (m.Groups[1].Value, int.Parse(m.Groups[2].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture)))
            .ToList();

    /// <summary>Test-only SSDT: \POKB (port, byte) writes a SystemIO port through acpiexec's
    /// simulated regions, standing in for the device that fills the mailbox (RECIPE.md §3).</summary>
    private static byte[] Harness() => new Ssdt(
        new AmlMethod("\\POKB", 2, serialized: true,
            new AmlOperationRegion("HIO", AcpiAddressSpace.SystemIO, new AmlArg(0), AmlInteger.One),
            new AmlField("HIO", AmlFieldAccess.ByteAcc, false, AmlFieldUpdate.Preserve, AmlFieldUnit.Named("HVAL", 8)),
            new AmlStore(new AmlArg(1), new AmlPath("HVAL"))))
    {
        Oem = AcpiOem.Vireo with { OemTableId = "HARNESS" },
    }.ToBytes();
}
