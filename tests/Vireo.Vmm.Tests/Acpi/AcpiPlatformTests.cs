using System.Buffers.Binary;
using System.Text;
using Vireo.Acpi;
using Vireo.Devices;
using Vireo.Memory;

namespace Vireo.Vmm.Tests;

public sealed class AcpiPlatformTests
{
    // FADT field offsets, ACPI 6.5 Table 5.9.
    private const int FadtSciInt = 46, FadtSmiCmd = 48, FadtPm1aEvt = 56, FadtPm1aCnt = 64, FadtPmTmr = 76, FadtGpe0 = 80;
    private const int FadtPm1EvtLen = 88, FadtPm1CntLen = 89, FadtPmTmrLen = 91, FadtGpe0Len = 92, FadtFlags = 112;
    private const int FadtXDsdt = 140, FadtXFirmwareCtrl = 132;
    private const uint LowPowerS0Idle = 1u << 21, HardwareReduced = 1u << 20;

    private static readonly IAml[] s_noDevices = [];

    [Fact]
    public void TheRsdpIsFoundAtE0000InGuestMemoryAndEveryLinkChecksOut()
    {
        using GuestMemory memory = GuestMemory.Create((new GuestAddress(0), 2UL << 20));
        using var pm = new AcpiPmDevice(new RecordingSci());
        var platform = new AcpiPlatform(2, [pm]);

        PlacedAcpiTables placed = platform.WriteTo(memory);

        Assert.Equal(new GuestAddress(0xE0000), placed.RsdpAddress);
        // Linux's fallback: scan 0xE0000-0xFFFFF on 16-byte boundaries for the signature.
        Assert.Equal(0xE0000UL, ScanForRsdp(memory));
        byte[] rsdp = Read(memory, 0xE0000, 36);
        Assert.Equal(0, Sum(rsdp.AsSpan(0, 20)));
        Assert.Equal(0, Sum(rsdp));
        Assert.Equal(2, rsdp[15]);
        Assert.Equal(36u, BinaryPrimitives.ReadUInt32LittleEndian(rsdp.AsSpan(20)));

        byte[] xsdt = ReadTable(memory, BinaryPrimitives.ReadUInt64LittleEndian(rsdp.AsSpan(24)), "XSDT");
        ulong[] entries = Enumerable.Range(0, (xsdt.Length - 36) / 8)
            .Select(i => BinaryPrimitives.ReadUInt64LittleEndian(xsdt.AsSpan(36 + (8 * i))))
            .ToArray();
        Assert.Equal(["FACP", "APIC"], entries.Select(e => Signature(memory, e)));

        byte[] fadt = ReadTable(memory, entries[0], "FACP");
        ReadTable(memory, BinaryPrimitives.ReadUInt64LittleEndian(fadt.AsSpan(FadtXDsdt)), "DSDT");
        Assert.Equal("FACS", Signature(memory, BinaryPrimitives.ReadUInt64LittleEndian(fadt.AsSpan(FadtXFirmwareCtrl))));
        Assert.Equal(0UL, BinaryPrimitives.ReadUInt64LittleEndian(fadt.AsSpan(FadtXFirmwareCtrl)) % 64);

        // Every placed table is in memory as placed, inside the BIOS area, and none overlap.
        ulong previousEnd = 0;
        foreach (PlacedAcpiTable table in placed.Tables)
        {
            Assert.True(table.Address >= previousEnd, $"{table.Signature} overlaps the table before it");
            Assert.Equal(table.Bytes, Read(memory, table.Address, table.Bytes.Length));
            previousEnd = table.Address + (ulong)table.Bytes.Length;
        }
        Assert.True(previousEnd <= 0x100000);
    }

    [Fact]
    public void TheFadtDescribesThePmDeviceAtItsPorts()
    {
        byte[] fadt = new AcpiPlatform(1, s_noDevices).Fadt.ToBytes();

        Assert.Equal(6, fadt[8]); // revision
        Assert.Equal(9, BinaryPrimitives.ReadUInt16LittleEndian(fadt.AsSpan(FadtSciInt)));
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(fadt.AsSpan(FadtSmiCmd)));
        Assert.Equal(0x600u, BinaryPrimitives.ReadUInt32LittleEndian(fadt.AsSpan(FadtPm1aEvt)));
        Assert.Equal(0x604u, BinaryPrimitives.ReadUInt32LittleEndian(fadt.AsSpan(FadtPm1aCnt)));
        Assert.Equal(0x608u, BinaryPrimitives.ReadUInt32LittleEndian(fadt.AsSpan(FadtPmTmr)));
        Assert.Equal(0x620u, BinaryPrimitives.ReadUInt32LittleEndian(fadt.AsSpan(FadtGpe0)));
        Assert.Equal([4, 2, 0, 4, 16], fadt[FadtPm1EvtLen..(FadtGpe0Len + 1)]);
        uint flags = BinaryPrimitives.ReadUInt32LittleEndian(fadt.AsSpan(FadtFlags));
        Assert.NotEqual(0u, flags & LowPowerS0Idle);
        Assert.Equal(0u, flags & HardwareReduced);
    }

    [Fact]
    public void APmBaseElsewhereMovesEveryBlock()
    {
        var platform = new AcpiPlatform(1, s_noDevices, new PioAddress(0xB000));
        Assert.Equal(0xB000, platform.Fadt.Pm1aEventBlock);
        Assert.Equal(0xB004, platform.Fadt.Pm1aControlBlock);
        Assert.Equal(0xB008, platform.Fadt.PmTimerBlock);
        Assert.Equal(0xB020, platform.Fadt.Gpe0Block);
        Assert.Throws<ArgumentOutOfRangeException>(() => new AcpiPlatform(1, s_noDevices, new PioAddress(0xFFF0)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(64)]
    [InlineData(254)]
    public void TheMadtHasOneLocalApicPerVcpuAndTheIoApicAfterThem(int vcpus)
    {
        byte[] madt = new AcpiPlatform(vcpus, s_noDevices).Madt.ToBytes();
        Assert.Equal(0, Sum(madt));
        Assert.Equal(0xFEE00000u, BinaryPrimitives.ReadUInt32LittleEndian(madt.AsSpan(36)));
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(madt.AsSpan(40))); // PCAT_COMPAT

        var lapics = new List<(byte Uid, byte ApicId, uint Flags)>();
        var ioapics = new List<(byte Id, uint Address, uint GsiBase)>();
        var overrides = new List<(byte Irq, uint Gsi, ushort Flags)>();
        var nmis = new List<(byte Uid, byte Lint)>();
        for (int at = 44; at < madt.Length; at += madt[at + 1])
        {
            ReadOnlySpan<byte> e = madt.AsSpan(at, madt[at + 1]);
            switch (e[0])
            {
                case 0:
                    lapics.Add((e[2], e[3], BinaryPrimitives.ReadUInt32LittleEndian(e[4..])));
                    break;
                case 1:
                    ioapics.Add((e[2], BinaryPrimitives.ReadUInt32LittleEndian(e[4..]), BinaryPrimitives.ReadUInt32LittleEndian(e[8..])));
                    break;
                case 2:
                    Assert.Equal(0, e[2]); // ISA
                    overrides.Add((e[3], BinaryPrimitives.ReadUInt32LittleEndian(e[4..]), BinaryPrimitives.ReadUInt16LittleEndian(e[8..])));
                    break;
                case 4:
                    nmis.Add((e[2], e[5]));
                    break;
                default:
                    Assert.Fail($"unexpected MADT entry type {e[0]}");
                    break;
            }
        }

        Assert.Equal(Enumerable.Range(0, vcpus).Select(i => ((byte)i, (byte)i, 1u)), lapics);
        Assert.Equal([((byte)vcpus, 0xFEC00000u, 0u)], ioapics);
        // Only the SCI is overridden: level (0b11 << 2), active high (0b01). No IRQ 0 -> GSI 2.
        Assert.Equal([((byte)9, 9u, (ushort)0x000D)], overrides);
        Assert.Equal([((byte)0xFF, (byte)1)], nmis);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(255)]
    public void VcpuCountsTheApicIdSpaceCannotHoldAreRejected(int vcpus)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new AcpiPlatform(vcpus, s_noDevices));
    }

    [Fact]
    public void TheDsdtIsTheConcatenationOfTheDevicesAml()
    {
        using var pm = new AcpiPmDevice(new RecordingSci());
        IAml gpe = GpeNotifyMethod.WithCode(3, GpeTrigger.Edge, "\\_SB.DEV0", 0x80);
        byte[] dsdt = new AcpiPlatform(1, [pm, gpe]).Dsdt.ToBytes();
        Assert.Equal([.. AmlSink.Render(pm), .. AmlSink.Render(gpe)], dsdt[36..]);
    }

    [Fact]
    public void WriteFilesDumpsEveryTableByItsSignature()
    {
        using var pm = new AcpiPmDevice(new RecordingSci());
        var platform = new AcpiPlatform(4, [pm]);
        string dir = Directory.CreateTempSubdirectory("vireo-acpi-dump-").FullName;
        try
        {
            IReadOnlyList<string> files = platform.WriteFiles(dir);
            Assert.Equal(
                ["APIC.dat", "DSDT.dat", "FACP.dat", "FACS.dat", "RSDP.dat", "XSDT.dat"],
                files.Select(Path.GetFileName).Order(StringComparer.Ordinal));
            foreach (PlacedAcpiTable table in platform.Place().Tables)
            {
                Assert.Equal(table.Bytes, File.ReadAllBytes(Path.Combine(dir, AcpiPlatform.FileName(table.Signature))));
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static ulong? ScanForRsdp(GuestMemory memory)
    {
        for (ulong at = 0xE0000; at < 0x100000; at += 16)
        {
            if (Read(memory, at, 8).AsSpan().SequenceEqual("RSD PTR "u8))
            {
                return at;
            }
        }
        return null;
    }

    private static byte[] ReadTable(GuestMemory memory, ulong address, string signature)
    {
        Assert.Equal(signature, Signature(memory, address));
        int length = (int)memory.Read<uint>(new GuestAddress(address + 4));
        byte[] table = Read(memory, address, length);
        Assert.True(Sum(table) == 0, $"{signature} checksum");
        return table;
    }

    private static string Signature(GuestMemory memory, ulong address) => Encoding.ASCII.GetString(Read(memory, address, 4));

    private static byte[] Read(GuestMemory memory, ulong address, int length)
    {
        var bytes = new byte[length];
        memory.Read(new GuestAddress(address), bytes);
        return bytes;
    }

    private static byte Sum(ReadOnlySpan<byte> bytes)
    {
        byte sum = 0;
        foreach (byte b in bytes)
        {
            sum += b;
        }
        return sum;
    }
}
