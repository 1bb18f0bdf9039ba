using System.Buffers.Binary;
using System.Text;

namespace Vireo.Acpi.Tests;

/// <summary>Table layouts and checksums, without ACPICA.</summary>
public sealed class TableTests
{
    public static TheoryData<string> TableNames => ["DSDT", "SSDT", "FACP", "APIC", "MCFG", "XSDT"];

    private static IAcpiTable Table(string name) => name switch
    {
        "DSDT" => SamplePlatform.Dsdt(),
        "SSDT" => SamplePlatform.Harness(),
        "FACP" => SamplePlatform.Fadt(),
        "APIC" => SamplePlatform.Madt(),
        "MCFG" => SamplePlatform.Mcfg(),
        "XSDT" => new Xsdt(0x1000, 0x2000),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(TableNames))]
    public void Every_table_has_its_signature_length_and_a_zero_sum(string name)
    {
        byte[] table = Table(name).ToBytes();
        Assert.Equal(name, Encoding.ASCII.GetString(table, 0, 4));
        Assert.Equal((uint)table.Length, U32(table, 4));
        Assert.True(AcpiChecksum.IsValid(table), $"{name} checksum byte {table[9]:X2} leaves sum {AcpiChecksum.Sum(table):X2}");
        Assert.Equal("VIREO ", Encoding.ASCII.GetString(table, 10, 6));
    }

    [Fact]
    public void Rsdp_revision_2_has_both_checksums_and_points_at_the_xsdt()
    {
        byte[] rsdp = new Rsdp(0x0000_0001_2345_6780).ToBytes();
        Assert.Equal(36, rsdp.Length);
        Assert.Equal("RSD PTR ", Encoding.ASCII.GetString(rsdp, 0, 8));
        Assert.True(AcpiChecksum.IsValid(rsdp.AsSpan(0, 20)), "ACPI 1.0 checksum (bytes 0-19)");
        Assert.True(AcpiChecksum.IsValid(rsdp), "extended checksum (all 36 bytes)");
        Assert.Equal(2, rsdp[15]);
        Assert.Equal(0u, U32(rsdp, 16));            // no RSDT
        Assert.Equal(36u, U32(rsdp, 20));
        Assert.Equal(0x0000_0001_2345_6780ul, U64(rsdp, 24));
        Assert.Equal("VIREO ", Encoding.ASCII.GetString(rsdp, 9, 6));
    }

    [Fact]
    public void Fadt_carries_the_io_blocks_in_both_forms()
    {
        byte[] f = SamplePlatform.Fadt().ToBytes();
        Assert.Equal(276, f.Length);
        Assert.Equal(6, f[8]);                       // revision
        Assert.Equal(5, f[131]);                     // minor version
        Assert.Equal(9, BinaryPrimitives.ReadUInt16LittleEndian(f.AsSpan(46)));   // SCI_INT
        Assert.Equal(0u, U32(f, 48));               // SMI_CMD: ACPI always enabled
        Assert.Equal(0x400u, U32(f, 56));           // PM1a_EVT_BLK
        Assert.Equal(0x404u, U32(f, 64));           // PM1a_CNT_BLK
        Assert.Equal(0x408u, U32(f, 76));           // PM_TMR_BLK
        Assert.Equal(0x420u, U32(f, 80));           // GPE0_BLK
        Assert.Equal("04020004", Bytes.Hex(f.AsSpan(88, 4)));   // PM1_EVT_LEN, PM1_CNT_LEN, PM2_CNT_LEN, PM_TMR_LEN
        Assert.Equal(4, f[92]);                      // GPE0_BLK_LEN
        uint flags = U32(f, 112);
        Assert.NotEqual(0u, flags & (1u << 21));     // LOW_POWER_S0_IDLE_CAPABLE
        Assert.Equal(0u, flags & (1u << 20));        // not HW_REDUCED_ACPI
        // X_ blocks: SystemIO, bit width = length * 8, offset 0, access size, address.
        Assert.Equal("01200002" + "0004000000000000", Bytes.Hex(f.AsSpan(148, 12)));
        Assert.Equal("01100002" + "0404000000000000", Bytes.Hex(f.AsSpan(172, 12)));
        Assert.Equal("01200003" + "0804000000000000", Bytes.Hex(f.AsSpan(208, 12)));
        Assert.Equal("01200001" + "2004000000000000", Bytes.Hex(f.AsSpan(220, 12)));
        Assert.Equal(new byte[12], f[160..172]);    // no PM1b
    }

    [Fact]
    public void Fadt_rejects_impossible_blocks()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Fadt(0x400, 2, 0x404, 2, 0x408, 0x420, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Fadt(0x400, 4, 0x404, 2, 0x408, 0x420, 3));
        Assert.Throws<ArgumentException>(() => new Fadt(0x400, 4, 0x404, 2, 0x408, 0x420, 4, flags: FadtFlags.HardwareReducedAcpi));
    }

    [Fact]
    public void Facs_is_64_bytes_version_2()
    {
        byte[] facs = new Facs(0xCAFE).ToBytes();
        Assert.Equal(64, facs.Length);
        Assert.Equal("FACS", Encoding.ASCII.GetString(facs, 0, 4));
        Assert.Equal(64u, U32(facs, 4));
        Assert.Equal(0xCAFEu, U32(facs, 8));
        Assert.Equal(2, facs[32]);
    }

    [Fact]
    public void Madt_entries_have_their_spec_layouts()
    {
        byte[] madt = new Madt(
            new MadtLocalApic(1, 2),
            new MadtLocalX2Apic(300, 301),
            new MadtIoApic(3, MadtIoApic.DefaultAddress, 24),
            new MadtInterruptOverride(0, 2, MpsIntiFlags.ActiveHigh | MpsIntiFlags.EdgeTriggered),
            new MadtLocalApicNmi(),
            new MadtLocalX2ApicNmi()).ToBytes();
        Assert.Equal(6, madt[8]);
        Assert.Equal(0xFEE0_0000u, U32(madt, 36));
        Assert.Equal(1u, U32(madt, 40));             // PCAT_COMPAT
        Assert.Equal(
            "0008010201000000" +
            "091000002D010000010000002C010000" +
            "010C03000000C0FE18000000" +
            "020A0000020000000500" +
            "0406FF000001" +
            "0A0C0000FFFFFFFF01000000",
            Bytes.Hex(madt.AsSpan(44)));
    }

    [Fact]
    public void Madt_processors_switch_to_x2apic_from_id_255()
    {
        IReadOnlyList<MadtEntry> entries = Madt.Processors(300);
        Assert.Equal(255, entries.OfType<MadtLocalApic>().Count());
        Assert.Equal(45, entries.OfType<MadtLocalX2Apic>().Count());
        Assert.Equal(255u, entries.OfType<MadtLocalX2Apic>().First().X2ApicId);
        Assert.Single(entries.OfType<MadtLocalApicNmi>());
        Assert.Single(entries.OfType<MadtLocalX2ApicNmi>());
        Assert.Empty(Madt.Processors(4).OfType<MadtLocalX2ApicNmi>());
    }

    [Fact]
    public void Mcfg_lists_ecam_windows()
    {
        byte[] mcfg = SamplePlatform.Mcfg().ToBytes();
        Assert.Equal(60, mcfg.Length);
        Assert.Equal(1, mcfg[8]);
        Assert.Equal("0000000000000000" + "000000B000000000" + "0000" + "00FF" + "00000000", Bytes.Hex(mcfg.AsSpan(36)));
    }

    [Fact]
    public void Table_set_places_and_links_every_table()
    {
        var set = new AcpiTableSet(SamplePlatform.Fadt(), new Facs(), SamplePlatform.Dsdt(), SamplePlatform.Madt(), SamplePlatform.Mcfg());
        IReadOnlyList<PlacedAcpiTable> placed = set.Place(rsdpAddress: 0xE_0000, tablesAddress: 0xE_0040);
        var by = placed.ToDictionary(p => p.Signature);
        Assert.Equal(["RSD PTR ", "FACS", "DSDT", "FACP", "APIC", "MCFG", "XSDT"], placed.Select(p => p.Signature));

        for (int i = 1; i < placed.Count; i++)
        {
            Assert.True(placed[i - 1].Address + (ulong)placed[i - 1].Bytes.Length <= placed[i].Address, "tables overlap");
        }
        Assert.Equal(0ul, by["FACS"].Address % 64);
        Assert.All(placed.Where(p => p.Signature != "FACS" && p.Signature != "RSD PTR "), p => Assert.True(AcpiChecksum.IsValid(p.Bytes), p.Signature));

        byte[] rsdp = by["RSD PTR "].Bytes;
        Assert.True(AcpiChecksum.IsValid(rsdp.AsSpan(0, 20)) && AcpiChecksum.IsValid(rsdp));
        Assert.Equal(by["XSDT"].Address, U64(rsdp, 24));

        byte[] xsdt = by["XSDT"].Bytes;
        Assert.Equal(36 + (3 * 8), xsdt.Length);
        Assert.Equal([by["FACP"].Address, by["APIC"].Address, by["MCFG"].Address], [U64(xsdt, 36), U64(xsdt, 44), U64(xsdt, 52)]);

        byte[] fadt = by["FACP"].Bytes;
        Assert.Equal((uint)by["FACS"].Address, U32(fadt, 36));
        Assert.Equal((uint)by["DSDT"].Address, U32(fadt, 40));
        Assert.Equal(by["FACS"].Address, U64(fadt, 132));
        Assert.Equal(by["DSDT"].Address, U64(fadt, 140));
    }

    [Fact]
    public void Table_set_above_4g_fills_only_the_64_bit_pointers()
    {
        var set = new AcpiTableSet(SamplePlatform.Fadt(), new Facs(), SamplePlatform.Dsdt());
        IReadOnlyList<PlacedAcpiTable> placed = set.Place(0xE_0000, 0x1_0000_0000);
        byte[] fadt = placed.Single(p => p.Signature == "FACP").Bytes;
        Assert.Equal(0u, U32(fadt, 36));
        Assert.Equal(0u, U32(fadt, 40));
        Assert.Equal(0x1_0000_0000ul, U64(fadt, 132));
        Assert.True(AcpiChecksum.IsValid(fadt));
    }

    [Fact]
    public void Table_set_rejects_a_misaligned_or_overlapping_rsdp()
    {
        var set = new AcpiTableSet(SamplePlatform.Fadt(), new Facs(), SamplePlatform.Dsdt());
        Assert.Throws<ArgumentException>(() => set.Place(0xE_0008, 0xF_0000));
        Assert.Throws<ArgumentException>(() => set.Place(0xE_0040, 0xE_0000));
    }

    private static uint U32(byte[] b, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(offset));

    private static ulong U64(byte[] b, int offset) => BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(offset));
}
