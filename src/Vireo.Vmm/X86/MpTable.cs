using System.Buffers.Binary;
using System.Text;
using Vireo.Memory;

namespace Vireo.Vmm.X86;

/// <summary>
/// An Intel MultiProcessor Specification 1.4 table, so Linux finds every vCPU and the IOAPIC
/// without ACPI. Linux scans the last KiB of base memory (639 KiB), where this is placed.
/// Entry formats: MP spec 1.4 §4 (floating pointer §4.1, configuration table §4.2, entries §4.3).
/// </summary>
public static class MpTable
{
    /// <summary>Where the floating pointer and table go: the last KiB of base memory, which Linux scans.</summary>
    public static readonly GuestAddress Address = new(639 * 1024);

    /// <summary>The local APIC's MMIO base.</summary>
    public const uint LocalApicAddress = 0xfee0_0000;
    /// <summary>The IOAPIC's MMIO base.</summary>
    public const uint IoApicAddress = 0xfec0_0000;

    private const int FloatingPointerSize = 16;
    private const int HeaderSize = 44;
    private const int ProcessorEntrySize = 20;
    private const int OtherEntrySize = 8;
    private const byte SpecRevision14 = 4;
    private const byte LocalApicVersion = 0x14;
    private const byte IoApicVersion = 0x11;
    private const int IsaIrqs = 16;

    private const byte EntryProcessor = 0;
    private const byte EntryBus = 1;
    private const byte EntryIoApic = 2;
    private const byte EntryIoInterrupt = 3;
    private const byte EntryLocalInterrupt = 4;
    private const byte InterruptTypeInt = 0;
    private const byte InterruptTypeNmi = 1;
    private const byte InterruptTypeExtInt = 3;
    private const byte CpuEnabled = 1;
    private const byte CpuBootProcessor = 2;

    /// <summary>The IOAPIC takes the first APIC ID after the vCPUs'.</summary>
    public static byte IoApicId(int cpus) => (byte)cpus;

    /// <summary>The MP floating pointer and configuration table for <paramref name="cpus"/> vCPUs (Intel MP spec 1.4).</summary>
    public static byte[] Build(int cpus)
    {
        if (cpus is < 1 or > 254)
        {
            throw new ArgumentOutOfRangeException(nameof(cpus), cpus, "the MP table describes 1 to 254 processors");
        }
        int entries = cpus + 1 + 1 + IsaIrqs + 2;
        int tableLength = HeaderSize + cpus * ProcessorEntrySize + (entries - cpus) * OtherEntrySize;
        var bytes = new byte[FloatingPointerSize + tableLength];
        Span<byte> fp = bytes.AsSpan(0, FloatingPointerSize);
        Span<byte> table = bytes.AsSpan(FloatingPointerSize);

        "_MP_"u8.CopyTo(fp);
        BinaryPrimitives.WriteUInt32LittleEndian(fp[4..], (uint)(Address.Value + FloatingPointerSize));
        fp[8] = 1; // length in 16-byte units
        fp[9] = SpecRevision14;
        // feature bytes 1-5 stay 0: a configuration table is present, no IMCR.

        "PCMP"u8.CopyTo(table);
        BinaryPrimitives.WriteUInt16LittleEndian(table[4..], (ushort)tableLength);
        table[6] = SpecRevision14;
        Encoding.ASCII.GetBytes("VIREO   ").CopyTo(table[8..]);
        Encoding.ASCII.GetBytes("VIREO-VMM   ").CopyTo(table[16..]);
        BinaryPrimitives.WriteUInt16LittleEndian(table[34..], (ushort)entries);
        BinaryPrimitives.WriteUInt32LittleEndian(table[36..], LocalApicAddress);

        int at = HeaderSize;
        for (int cpu = 0; cpu < cpus; cpu++)
        {
            Span<byte> e = table.Slice(at, ProcessorEntrySize);
            e[0] = EntryProcessor;
            e[1] = (byte)cpu;
            e[2] = LocalApicVersion;
            e[3] = (byte)(CpuEnabled | (cpu == 0 ? CpuBootProcessor : 0));
            // CPU signature (family 6) and features (FPU, APIC) as firmware reports them.
            BinaryPrimitives.WriteUInt32LittleEndian(e[4..], 0x600);
            BinaryPrimitives.WriteUInt32LittleEndian(e[8..], (1 << 0) | (1 << 9));
            at += ProcessorEntrySize;
        }

        Span<byte> bus = table.Slice(at, OtherEntrySize);
        bus[0] = EntryBus;
        bus[1] = 0;
        "ISA   "u8.CopyTo(bus[2..]);
        at += OtherEntrySize;

        byte ioApicId = IoApicId(cpus);
        Span<byte> ioapic = table.Slice(at, OtherEntrySize);
        ioapic[0] = EntryIoApic;
        ioapic[1] = ioApicId;
        ioapic[2] = IoApicVersion;
        ioapic[3] = 1; // enabled
        BinaryPrimitives.WriteUInt32LittleEndian(ioapic[4..], IoApicAddress);
        at += OtherEntrySize;

        // ISA IRQ n goes to IOAPIC pin n: that is KVM's default GSI routing, which the in-kernel
        // PIT (GSI 0) and KVM_IRQ_LINE use.
        for (byte irq = 0; irq < IsaIrqs; irq++)
        {
            WriteInterrupt(table.Slice(at, OtherEntrySize), EntryIoInterrupt, InterruptTypeInt, irq, ioApicId, irq);
            at += OtherEntrySize;
        }
        WriteInterrupt(table.Slice(at, OtherEntrySize), EntryLocalInterrupt, InterruptTypeExtInt, 0, 0xff, 0);
        at += OtherEntrySize;
        WriteInterrupt(table.Slice(at, OtherEntrySize), EntryLocalInterrupt, InterruptTypeNmi, 0, 0xff, 1);

        table[7] = Checksum(table);
        fp[10] = Checksum(fp);
        return bytes;
    }

    /// <summary>Writes <see cref="Build"/> at <see cref="Address"/>.</summary>
    public static void Write(GuestMemory memory, int cpus) => memory.Write(Address, Build(cpus));

    private static void WriteInterrupt(Span<byte> e, byte entryType, byte interruptType, byte sourceIrq, byte destinationApic, byte destinationPin)
    {
        e[0] = entryType;
        e[1] = interruptType;
        // flags 0: polarity and trigger conform to the bus (ISA: active high, edge).
        e[4] = 0; // source bus: ISA
        e[5] = sourceIrq;
        e[6] = destinationApic;
        e[7] = destinationPin;
    }

    /// <summary>The byte that makes the sum of all bytes zero.</summary>
    internal static byte Checksum(ReadOnlySpan<byte> bytes)
    {
        byte sum = 0;
        foreach (byte b in bytes)
        {
            sum += b;
        }
        return (byte)(0 - sum);
    }
}
