using System.Buffers.Binary;
using Vireo.Memory;
using Vireo.Sys;

namespace Vireo.Virtio.Fuzz;

/// <summary>
/// A guest's queue, as hostile as the fuzzer makes it, served by a device model: the input is
/// the guest's RAM (descriptor table, available and used rings, and whatever the descriptors
/// point at) and a few choices, and the device pops, walks and serves the queue as the machine's
/// queue worker would, several passes. The device may refuse a ring only with a
/// <see cref="VirtqueueException"/> (which sets NEEDS_RESET in the machine); anything else it
/// throws is a defect, and so is a pass that does not end (afl-fuzz's hang timeout).
/// </summary>
/// <remarks>Input: byte 0 picks the device (entropy, block, console, network); byte 1 holds
/// EVENT_IDX (bit 0), INDIRECT_DESC (bit 1), the queue index (bits 2-3) and whether the driver
/// accepted every device feature (bit 4); byte 2 the queue size (a power of two up to 256);
/// the rest is guest RAM from address 0, where the rings lie at fixed addresses
/// (<see cref="DescriptorTable"/> on). The last byte also says how far the driver's available
/// idx moves between passes (modulo 4) and how much host input the console has (1 + its value).</remarks>
public static class VirtqueueTarget
{
    /// <summary>Guest RAM, small so each input is cheap.</summary>
    public const int MemorySize = 64 * 1024;

    /// <summary>Where the descriptor table starts; the available ring follows it, then the used ring (4-aligned).</summary>
    public const ulong DescriptorTable = 0x100;

    /// <summary>How many times the device serves the queue for one input.</summary>
    public const int Passes = 3;

    /// <summary>The devices, by the input's first byte (modulo their count).</summary>
    public static readonly IReadOnlyList<string> Devices = ["rng", "blk", "console", "net"];

    /// <summary>Serves the input's queue; returns the used idx the device reached, or -1 when
    /// it refused the ring (or the input is too short to say anything).</summary>
    public static int Run(ReadOnlySpan<byte> input)
    {
        if (input.Length < 3)
        {
            return -1;
        }
        string kind = Devices[input[0] % Devices.Count];
        byte flags = input[1];
        using var net = kind == "net" ? new QuietNetBackend(input) : null;
        IVirtioDevice device = kind switch
        {
            "rng" => new VirtioRng(data => data.Fill(0x5a)),
            "blk" => new VirtioBlock(new ArrayBlockBackend(MemorySize), "fuzz"),
            "console" => Console(input),
            _ => new VirtioNet(net!, new MacAddress([0x52, 0x54, 0, 0x12, 0x34, 0x56])),
        };
        int index = ((flags >> 2) & 3) % device.QueueMaxSizes.Count;
        ushort size = (ushort)Math.Min(1 << (input[2] % 9), device.QueueMaxSizes[index]);
        bool eventIdx = (flags & 1) != 0;
        bool indirect = (flags & 2) != 0;
        device.FeaturesNegotiated((flags & 0x10) != 0 ? device.Features | VirtioFeatures.Version1 : VirtioFeatures.Version1);

        using GuestMemory memory = GuestMemory.Create((new GuestAddress(0), (ulong)MemorySize));
        ReadOnlySpan<byte> image = input[3..];
        memory.Write(new GuestAddress(0), image[..Math.Min(image.Length, MemorySize)]);
        ulong avail = DescriptorTable + (16UL * size);
        ulong used = (avail + 6 + (2UL * size) + 3) & ~3UL;
        var queue = new SplitVirtqueue(memory, size, new GuestAddress(DescriptorTable), new GuestAddress(avail), new GuestAddress(used), eventIdx, indirect);
        for (int pass = 0; pass < Passes; pass++)
        {
            try
            {
                device.ProcessQueue(index, queue, memory);
                queue.ShouldInterrupt();
            }
            catch (VirtqueueException)
            {
                // The device refused the ring: the machine would set NEEDS_RESET and stop serving it.
                return -1;
            }
            // The driver moves on between passes: its available idx advances by what the input says.
            ushort idx = BinaryPrimitives.ReadUInt16LittleEndian(memory.GetSpan(new GuestAddress(avail + 2), 2));
            BinaryPrimitives.WriteUInt16LittleEndian(memory.GetSpan(new GuestAddress(avail + 2), 2), (ushort)(idx + (input[^1] % 4)));
        }
        return queue.NextUsed;
    }

    // A console with host input waiting (up to 256 bytes, as many as the input's last byte says),
    // so its receive queue has something to deliver.
    private static VirtioConsole Console(ReadOnlySpan<byte> input)
    {
        var console = new VirtioConsole(_ => { });
        console.Offer(input[..Math.Min(input.Length, 1 + input[^1])]);
        return console;
    }

    /// <summary>A disk in an array.</summary>
    private sealed class ArrayBlockBackend(int size) : IBlockBackend
    {
        private readonly byte[] _bytes = new byte[size];

        public long Size => _bytes.Length;
        public bool ReadOnly => false;
        public void ReadAt(long offset, Span<byte> data) => _bytes.AsSpan((int)offset, data.Length).CopyTo(data);
        public void WriteAt(long offset, ReadOnlySpan<byte> data) => data.CopyTo(_bytes.AsSpan((int)offset));
        public void Flush() { }
        public void Discard(long offset, long length) => _bytes.AsSpan((int)offset, (int)length).Clear();
        public void WriteZeroes(long offset, long length, bool unmap) => _bytes.AsSpan((int)offset, (int)length).Clear();
    }

    /// <summary>A network whose host side takes every frame and has a few frames of the input's
    /// choosing (sizes and header flags) for the guest.</summary>
    private sealed class QuietNetBackend : INetBackend, IDisposable
    {
        private readonly EventFd _readable = EventFd.Create();
        private readonly byte[] _choices;
        private int _next;

        public QuietNetBackend(ReadOnlySpan<byte> input) => _choices = input.Length > 8 ? input[3..8].ToArray() : [];

        public SafeFd ReadableHandle => _readable.Handle;
        public TunOffloads SupportedOffloads => TunOffloads.Checksum | TunOffloads.Tso4 | TunOffloads.Tso6 | TunOffloads.TsoEcn;
        public TunOffloads SetOffloads(TunOffloads offloads) => offloads;
        public bool Send(ReadOnlySpan<byte> header, ReadOnlySpan<byte> frame) => true;

        public int Receive(Span<byte> header, Span<byte> frame)
        {
            if (_next >= _choices.Length)
            {
                return -1;
            }
            byte choice = _choices[_next++];
            header.Clear();
            header[0] = (byte)(choice & 1); // NEEDS_CSUM sometimes
            int length = 14 + ((choice * 97) % 1600);
            frame[..Math.Min(length, frame.Length)].Fill(choice);
            return length;
        }

        public void Dispose() => _readable.Dispose();
    }
}
