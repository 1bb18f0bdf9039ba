using Vireo.Memory;

namespace Vireo.Virtio.Tests;

/// <summary>A guest driver of one virtio-console function: negotiates the offered features (or
/// those in a mask), enables receiveq (vector 1) and transmitq (vector 2), and collects what the
/// device sends to its output sink.</summary>
public sealed class ConsoleRig : IDisposable
{
    public const ushort Size = 16;
    public const ulong Data = 0x40000;

    public ConsoleRig(ulong accept = ulong.MaxValue, Action<ReadOnlySpan<byte>>? output = null)
    {
        Memory = DriverRing.NewMemory();
        Device = new VirtioConsole(output ?? (bytes =>
        {
            Chunks.Add(bytes.Length);
            Output.AddRange(bytes.ToArray());
        }), columns: 132, rows: 43);
        Function = new VirtioPciFunction("console", Device, Memory, Interrupt);
        Driver = new PciDriver(Function);
        Rx = new QueueRing(Memory, Size, 0x10000);
        Tx = new QueueRing(Memory, Size, 0x18000);
        OfferedFeatures = Driver.DeviceFeatures();
        Initialize(OfferedFeatures & accept);
    }

    public GuestMemory Memory { get; }
    public VirtioConsole Device { get; }
    public VirtioPciFunction Function { get; }
    public PciDriver Driver { get; }
    public QueueRing Rx { get; }
    public QueueRing Tx { get; }
    public RecordingInterrupt Interrupt { get; } = new(3);
    public ulong OfferedFeatures { get; }
    public List<byte> Output { get; } = [];
    public List<int> Chunks { get; } = [];

    /// <summary>§3.1.1 from a reset, both queues enabled; asserts DRIVER_OK was reached.</summary>
    public void Initialize(ulong features)
    {
        Driver.InitializeQueues(features, Rx, Tx);
        // What DRIVER_OK raised (the size's configuration change) is the initialization's, not a test's.
        ReadyConfigSignals = [.. Interrupt.Signals];
        Interrupt.Signals.Clear();
    }

    /// <summary>The vectors raised when the last <see cref="Initialize"/> set DRIVER_OK.</summary>
    public List<int> ReadyConfigSignals { get; private set; } = [];

    public byte[] ReadConfig(int offset, int length)
    {
        byte[] bytes = new byte[length];
        Function.ReadBar(0, VirtioPciFunction.DeviceConfigOffset + (ulong)offset, bytes);
        return bytes;
    }

    public void WriteConfig(int offset, ReadOnlySpan<byte> bytes)
        => Function.WriteBar(0, VirtioPciFunction.DeviceConfigOffset + (ulong)offset, bytes);

    public void Fill(ulong at, ReadOnlySpan<byte> bytes) => Memory.Write(new GuestAddress(at), bytes);

    public byte[] Guest(ulong at, int length)
    {
        byte[] bytes = new byte[length];
        Memory.Read(new GuestAddress(at), bytes);
        return bytes;
    }

    /// <summary>Chains <paramref name="buffers"/> from descriptor <paramref name="first"/> on
    /// <paramref name="ring"/> and offers the chain; returns its head.</summary>
    public static ushort Post(QueueRing ring, ushort first, params (ulong Address, uint Length, bool Writable)[] buffers)
    {
        for (int i = 0; i < buffers.Length; i++)
        {
            (ulong address, uint length, bool writable) = buffers[i];
            bool more = i + 1 < buffers.Length;
            ring.Descriptor((ushort)(first + i), address, length,
                (ushort)((writable ? VirtqDescriptor.FlagWrite : 0) | (more ? VirtqDescriptor.FlagNext : 0)), (ushort)(first + i + 1));
        }
        ring.Offer(first);
        return first;
    }

    public static (ulong, uint, bool) In(ulong address, uint length) => (address, length, true);

    public static (ulong, uint, bool) Out(ulong address, uint length) => (address, length, false);

    public void Dispose() => Memory.Dispose();
}

/// <summary>The driver's side of one split ring whose areas start at <c>base</c> (descriptors),
/// <c>base + 0x1000</c> (available) and <c>base + 0x2000</c> (used).</summary>
public sealed class QueueRing(GuestMemory memory, ushort size, ulong @base)
{
    private ushort _availIdx;

    public ushort Size { get; } = size;
    public ulong Desc { get; } = @base;
    public ulong Avail { get; } = @base + 0x1000;
    public ulong Used { get; } = @base + 0x2000;

    public void Descriptor(ushort index, ulong address, uint length, ushort flags = 0, ushort next = 0)
        => memory.Write(new GuestAddress(Desc + (index * 16UL)), new VirtqDescriptor { Address = address, Length = length, Flags = flags, Next = next });

    public void Offer(ushort head)
    {
        memory.Write(new GuestAddress(Avail + 4 + (2UL * (ushort)(_availIdx % Size))), head);
        _availIdx++;
        memory.Write(new GuestAddress(Avail + 2), _availIdx);
    }

    public void Restart()
    {
        _availIdx = 0;
        memory.Write(new GuestAddress(Avail), 0u);
        memory.Write(new GuestAddress(Used), 0u);
    }

    public void SetUsedEvent(ushort value) => memory.Write(new GuestAddress(Avail + 4 + (2UL * Size)), value);

    public ushort UsedIdx => memory.Read<ushort>(new GuestAddress(Used + 2));

    public VirtqUsedElement UsedAt(ushort position) => memory.Read<VirtqUsedElement>(new GuestAddress(Used + 4 + (8UL * (ushort)(position % Size))));
}
