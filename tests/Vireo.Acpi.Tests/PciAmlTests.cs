using System.Text;
using Vireo.TestSupport;

namespace Vireo.Acpi.Tests;

/// <summary>The PCI host bridge and slot Devices against bytes derived from the ACPI 6.5 §20
/// grammar, the same ASL compiled by iasl, and the methods run in acpiexec.</summary>
public sealed class PciAmlTests
{
    private static readonly uint[] s_gsis = [16, 17, 18, 19];

    // ASL of SlotAml(3):
    //   Device (S03)
    //   {
    //       Name (_ADR, 0x00030000)
    //       Name (_SUN, 0x03)
    //   }
    private const string SlotAsl = """
        Device (S03)
        {
            Name (_ADR, 0x00030000)
            Name (_SUN, 0x03)
        }
        """;

    private static readonly byte[] s_slotBytes = Bytes.Of("5B 82 16 'S03_' 08 '_ADR' 0C 00 00 03 00 08 '_SUN' 0A 03");

    [Fact]
    public void A_slot_device_is_adr_and_sun()
    {
        Assert.Equal(Bytes.Hex(s_slotBytes), Bytes.Hex(AmlSink.Render([new PciSlotAml(3)])));
        Assert.Equal("\\_SB.PCI0.S03_", new PciSlotAml(3).Path);
        Assert.Equal("\\_SB.PCI0.S1F_", new PciSlotAml(31).Path);
        Assert.Throws<ArgumentOutOfRangeException>(() => new PciSlotAml(32));
    }

    [Fact]
    public void A_slot_device_carries_what_later_work_adds()
    {
        var slot = new PciSlotAml(3);
        slot.Add(new AmlName("_S0W", new AmlInteger(3)));
        // Device (S03) { Name (_ADR, 0x00030000) Name (_SUN, 0x03) Name (_S0W, 0x03) }
        Assert.Equal(Bytes.Hex(Bytes.Of("5B 82 1D 'S03_' 08 '_ADR' 0C 00 00 03 00 08 '_SUN' 0A 03 08 '_S0W' 0A 03")), Bytes.Hex(AmlSink.Render([slot])));
    }

    [Fact]
    public void A_slots_siblings_precede_its_device_in_the_same_scope()
    {
        var slot = new PciSlotAml(3);
        slot.AddSibling(new AmlDevice("E03_", [new AmlName("_ADR", new AmlInteger(0x0003_0007))]));
        // Device (E03) { Name (_ADR, 0x00030007) } Device (S03) { Name (_ADR, 0x00030000) Name (_SUN, 0x03) }
        Assert.Equal(
            Bytes.Hex(Bytes.Of("5B 82 0F 'E03_' 08 '_ADR' 0C 07 00 03 00 5B 82 16 'S03_' 08 '_ADR' 0C 00 00 03 00 08 '_SUN' 0A 03")),
            Bytes.Hex(AmlSink.Render([slot])));
    }

    [Fact]
    public void The_host_bridge_is_byte_exact()
        => Assert.Equal(Bytes.Hex(BridgeBytes()), Bytes.Hex(AmlSink.Render([Bridge()])));

    [AcpicaFact]
    public void Iasl_compiles_the_asl_to_the_same_bytes()
    {
        Assert.Equal(Bytes.Hex(s_slotBytes), Bytes.Hex(Acpica.CompileBody(SlotAsl)));
        Assert.Equal(Bytes.Hex(BridgeBytes()), Bytes.Hex(Acpica.CompileBody(BridgeAsl())));
    }

    [AcpicaFact]
    public void Acpiexec_runs_osc_and_reads_the_routing_table()
    {
        // _OSC (PCI host bridge UUID, revision 1, 3 DWORDs, {query, support 0x1f, control 0x1d}).
        const string oscUuid = "(5b 4d db 33 f7 1f 1c 40 96 57 74 41 c0 3d d7 66)";
        const string wrongUuid = "(00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff)";
        const string capabilities = "(01 00 00 00 1f 00 00 00 1d 00 00 00)";
        string log = Acpica.Exec(string.Join(';',
                $"evaluate \\_SB.PCI0._OSC {oscUuid} 1 3 {capabilities}",
                $"evaluate \\_SB.PCI0._OSC {wrongUuid} 1 3 {capabilities}",
                $"evaluate \\_SB.PCI0._OSC {oscUuid} 2 3 {capabilities}",
                "evaluate \\_SB.PCI0._PRT",
                "evaluate \\_SB.PCI0.S03._ADR",
                "evaluate \\_SB.PCI0._HID"),
            ("dsdt", new Dsdt(Bridge()).ToBytes()));

        // Granted as asked, then Unrecognized UUID (bit 2), then Unrecognized Revision (bit 3).
        Assert.Contains("0000: 01 00 00 00 1F 00 00 00 1D 00 00 00", log);
        Assert.Contains("0000: 05 00 00 00 1F 00 00 00 1D 00 00 00", log);
        Assert.Contains("0000: 09 00 00 00 1F 00 00 00 1D 00 00 00", log);
        Assert.Contains("[Package] Contains 128 Elements", log);
        Assert.Contains("[Integer] = 0000000000030000", log);
        Assert.Contains("[Integer] = 00000000080AD041", log);
    }

    [Fact]
    public void The_swizzle_spreads_neighbouring_slots_over_the_four_gsis()
    {
        Assert.Equal(16u, PciHostBridgeAml.IntxGsi(s_gsis, 0, 0));
        Assert.Equal(17u, PciHostBridgeAml.IntxGsi(s_gsis, 1, 0));
        Assert.Equal(16u, PciHostBridgeAml.IntxGsi(s_gsis, 1, 3));
        Assert.Equal(19u, PciHostBridgeAml.IntxGsi(s_gsis, 31, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => PciHostBridgeAml.IntxGsi(s_gsis, 0, 4));
    }

    [Fact]
    public void Rejects_windows_gsis_and_slots_it_cannot_describe()
    {
        Assert.Throws<ArgumentException>(() => new PciHostBridgeAml((0xC000_0000, 0x4000_0001), (1UL << 32, 1), s_gsis, []));
        Assert.Throws<ArgumentException>(() => new PciHostBridgeAml((0xC000_0000, 0), (1UL << 32, 1), s_gsis, []));
        Assert.Throws<ArgumentException>(() => new PciHostBridgeAml((0xC000_0000, 1), (0xF000_0000, 1), s_gsis, []));
        Assert.Throws<ArgumentException>(() => new PciHostBridgeAml((0xC000_0000, 1), (ulong.MaxValue, 2), s_gsis, []));
        Assert.Throws<ArgumentException>(() => new PciHostBridgeAml((0xC000_0000, 1), (1UL << 32, 1), [16, 17], []));
        Assert.Throws<ArgumentException>(() => new PciHostBridgeAml((0xC000_0000, 1), (1UL << 32, 1), s_gsis, [new PciSlotAml(2), new PciSlotAml(2)]));
    }

    private static PciHostBridgeAml Bridge() =>
        new((0xC000_0000, 0x2000_0000), (0x1_0000_0000, 0x8_0000_0000), s_gsis, [new PciSlotAml(3)]);

    // The ASL the class comment shows, with this bridge's numbers and its 128 _PRT entries.
    private static string BridgeAsl()
    {
        var prt = new StringBuilder();
        for (int slot = 0; slot < 32; slot++)
        {
            for (int pin = 0; pin < 4; pin++)
            {
                prt.Append($"            Package (0x04) {{ 0x{((slot << 16) | 0xFFFF):X}, {pin}, Zero, {s_gsis[(slot + pin) % 4]} }},\n");
            }
        }
        return $$"""
            Scope (\_SB)
            {
                Device (PCI0)
                {
                    Name (_HID, EisaId ("PNP0A08"))
                    Name (_CID, EisaId ("PNP0A03"))
                    Name (_SEG, Zero)
                    Name (_BBN, Zero)
                    Name (_UID, Zero)
                    Name (_CRS, ResourceTemplate ()
                    {
                        WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode, 0x0000, 0x0000, 0x0000, 0x0000, 0x0001,,,)
                        IO (Decode16, 0x0CF8, 0x0CF8, 0x01, 0x08, )
                        WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange, 0x0000, 0x0000, 0x0CF7, 0x0000, 0x0CF8,,,, TypeStatic, DenseTranslation)
                        WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange, 0x0000, 0x0D00, 0xFFFF, 0x0000, 0xF300,,,, TypeStatic, DenseTranslation)
                        DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite,
                            0x00000000, 0xC0000000, 0xDFFFFFFF, 0x00000000, 0x20000000,,,, AddressRangeMemory, TypeStatic)
                        QWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, Prefetchable, ReadWrite,
                            0x0, 0x100000000, 0x8FFFFFFFF, 0x0, 0x800000000,,,, AddressRangeMemory, TypeStatic)
                    })
                    Method (_OSC, 4, NotSerialized)
                    {
                        CreateDWordField (Arg3, Zero, CDW1)
                        If (LNotEqual (Arg0, ToUUID ("33db4d5b-1ff7-401c-9657-7441c03dd766")))
                        {
                            Or (CDW1, 0x04, CDW1)
                        }
                        If (LNotEqual (Arg1, One))
                        {
                            Or (CDW1, 0x08, CDW1)
                        }
                        Return (Arg3)
                    }
                    Name (_PRT, Package (0x80)
                    {
            {{prt}}
                    })
            {{SlotAsl}}
                }
            }
            """;
    }

    // ACPI 6.5 §20: Scope (10), Device (5B 82), Name (08), EISAID as a DWord (0C), the
    // ResourceTemplate buffer (11) of the six descriptors the ResourceTemplate case derives,
    // Method (14) with CreateDWordField (8A), If (A0), LNotEqual (92 93), Or (7D), Return (A4),
    // and the _PRT package (12) of 128 four-element packages.
    private static byte[] BridgeBytes()
    {
        byte[] head = Bytes.Of("""
            10 40 76 '\_SB_'
            5B 82 47 75 'PCI0'
            08 '_HID' 0C 41 D0 0A 08
            08 '_CID' 0C 41 D0 0A 03
            08 '_SEG' 00
            08 '_BBN' 00
            08 '_UID' 00
            08 '_CRS' 11 46 08 0A 82
            88 0D 00 02 0C 00  00 00  00 00  00 00  00 00  01 00
            47 01 F8 0C F8 0C 01 08
            88 0D 00 01 0C 03  00 00  00 00  F7 0C  00 00  F8 0C
            88 0D 00 01 0C 03  00 00  00 0D  FF FF  00 00  00 F3
            87 17 00 00 0C 01  00 00 00 00  00 00 00 C0  FF FF FF DF  00 00 00 00  00 00 00 20
            8A 2B 00 00 0C 07  00 00 00 00 00 00 00 00  00 00 00 00 01 00 00 00
                               FF FF FF FF 08 00 00 00  00 00 00 00 00 00 00 00
                               00 00 00 00 08 00 00 00
            79 00
            14 45 04 '_OSC' 04
                8A 6B 00 'CDW1'
                A0 23 92 93 68 11 13 0A 10 5B 4D DB 33 F7 1F 1C 40 96 57 74 41 C0 3D D7 66
                    7D 'CDW1' 0A 04 'CDW1'
                A0 10 92 93 69 01
                    7D 'CDW1' 0A 08 'CDW1'
                A4 6B
            08 '_PRT' 12 4B 63 80
            """);
        var prt = new List<byte>();
        for (int slot = 0; slot < 32; slot++)
        {
            for (int pin = 0; pin < 4; pin++)
            {
                // Address 0xFFFF is a WordConst (0B) for slot 0, a DWordConst (0C) above; pins 0
                // and 1 are Zero/One, 2 and 3 ByteConsts; the GSI a ByteConst.
                byte[] address = slot == 0 ? [0x0B, 0xFF, 0xFF] : [0x0C, 0xFF, 0xFF, (byte)slot, 0x00];
                byte[] pinBytes = pin < 2 ? [(byte)pin] : [0x0A, (byte)pin];
                byte[] content = [0x04, .. address, .. pinBytes, 0x00, 0x0A, (byte)s_gsis[(slot + pin) % 4]];
                prt.AddRange([0x12, (byte)(content.Length + 1), .. content]);
            }
        }
        return [.. head, .. prt, .. s_slotBytes];
    }
}
