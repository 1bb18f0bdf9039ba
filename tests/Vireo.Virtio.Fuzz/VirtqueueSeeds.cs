using System.Buffers.Binary;

namespace Vireo.Virtio.Fuzz;

/// <summary>Well-formed starting points for <see cref="VirtqueueTarget"/>: one request each that the
/// device serves in full, with 8-entry rings and the buffers right after them, so the fuzzer
/// begins from rings that work and mutates from there.</summary>
public static class VirtqueueSeeds
{
    private const ushort Next = 1;
    private const ushort Write = 2;
    private const int Size = 8;
    private const int Log2Size = 3;

    public static IEnumerable<(string Name, byte[] Bytes)> All()
    {
        // The entropy device fills one writable buffer.
        yield return ("rng-one-buffer.bin", Input(0, queue: 0, [(0x400, 64, Write, 0)], eventIdx: true));
        // A block read of one sector and a block write of one, header / data / status.
        byte[] read = Input(1, queue: 0, [(0x400, 16, Next, 1), (0x600, 512, Write | Next, 2), (0x3f0, 1, Write, 0)], features: true);
        yield return ("blk-read.bin", read);
        byte[] write = Input(1, queue: 0, [(0x400, 16, Next, 1), (0x600, 512, Next, 2), (0x3f0, 1, Write, 0)], features: true);
        BinaryPrimitives.WriteUInt32LittleEndian(write.AsSpan(3 + 0x400), 1); // VIRTIO_BLK_T_OUT
        yield return ("blk-write.bin", write);
        // The console's transmit queue (1) with a line, and its receive queue (0) with a buffer.
        byte[] console = Input(2, queue: 1, [(0x400, 6, 0, 0)]);
        "hello\n"u8.CopyTo(console.AsSpan(3 + 0x400));
        yield return ("console-transmit.bin", console);
        yield return ("console-receive.bin", Input(2, queue: 0, [(0x400, 128, Write, 0)]));
        // The network's transmit queue (1): a 12-byte header then a 60-byte frame, in two buffers;
        // its receive queue (0): one mergeable buffer, which the backend's frames fill.
        yield return ("net-transmit.bin", Input(3, queue: 1, [(0x400, 12, Next, 1), (0x500, 60, 0, 0)], features: true));
        yield return ("net-receive.bin", Input(3, queue: 0, [(0x400, 1526, Write, 0)], features: true, eventIdx: true));
    }

    // [device, flags, log2 size] + guest RAM with the descriptors at VirtqueueTarget.DescriptorTable,
    // available idx 1 naming descriptor 0, and room for the buffers up to 0xa00.
    private static byte[] Input(byte device, int queue, (ulong Address, uint Length, ushort Flags, ushort Next)[] chain, bool features = false, bool eventIdx = false)
    {
        byte flags = (byte)((eventIdx ? 1 : 0) | (queue << 2) | (features ? 0x10 : 0));
        byte[] input = new byte[3 + 0xa00];
        input[0] = device;
        input[1] = flags;
        input[2] = Log2Size;
        Span<byte> memory = input.AsSpan(3);
        int table = (int)VirtqueueTarget.DescriptorTable;
        for (int i = 0; i < chain.Length; i++)
        {
            Span<byte> d = memory.Slice(table + (16 * i), 16);
            BinaryPrimitives.WriteUInt64LittleEndian(d, chain[i].Address);
            BinaryPrimitives.WriteUInt32LittleEndian(d[8..], chain[i].Length);
            BinaryPrimitives.WriteUInt16LittleEndian(d[12..], chain[i].Flags);
            BinaryPrimitives.WriteUInt16LittleEndian(d[14..], chain[i].Next);
        }
        int avail = table + (16 * Size);
        BinaryPrimitives.WriteUInt16LittleEndian(memory[(avail + 2)..], 1); // idx
        BinaryPrimitives.WriteUInt16LittleEndian(memory[(avail + 4)..], 0); // ring[0] = head 0
        // The last byte is also how far the driver's idx moves between passes: not at all.
        input[^1] = 0;
        return input;
    }
}
