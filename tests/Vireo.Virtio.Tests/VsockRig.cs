using System.Runtime.InteropServices;
using Vireo.Memory;
using Vireo.Sys;

namespace Vireo.Virtio.Tests;

/// <summary>One packet the device put in an rx buffer.</summary>
public sealed record VsockPacket(VirtioVsockHeader Header, byte[] Payload)
{
    public override string ToString() => $"op {Header.Op} {Header.SourceCid}:{Header.SourcePort} -> {Header.DestinationCid}:{Header.DestinationPort} len {Header.Length} flags {Header.Flags} buf {Header.BufferAlloc} fwd {Header.ForwardCount}";
}

/// <summary>A guest driver of one virtio-vsock function with guest CID 3, and the machine around it:
/// rx buffers are posted at start and re-posted as they are used (as Linux refills them), the
/// event queue holds two buffers, and <see cref="Pump"/> does what the machine's worker does when
/// the device's epoll fd is readable. The device listens in a fresh temporary directory.</summary>
public sealed class VsockRig : IDisposable
{
    public const ulong Cid = 3;
    public const ushort Size = 64;
    public const uint RxBufferSize = 4096;
    public const uint TxSlotSize = 68 * 1024;
    public const ulong RxData = 0x100000;
    public const ulong TxData = 0x400000;
    public const ulong EventData = 0x40000;
    public const int TxSlots = Size / 2;

    private readonly bool _splitRx;
    private readonly List<GuestStream> _streams = [];
    private readonly List<IDisposable> _owned = [];
    private ushort _rxSeen;
    private ushort _eventSeen;
    private int _txPosted;

    public VsockRig(VirtioVsockOptions? options = null, int rxBuffers = 32, bool splitRx = false, bool initialize = true)
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("vireo-vsock-").FullName;
        SocketPath = Path.Combine(Directory, "v.sock");
        Memory = GuestMemory.Create((new GuestAddress(0), 16UL << 20));
        Device = new VirtioVsock(Cid, SocketPath, options);
        Function = new VirtioPciFunction("vsock", Device, Memory, Interrupt);
        Driver = new PciDriver(Function);
        Rx = new QueueRing(Memory, Size, 0x10000);
        Tx = new QueueRing(Memory, Size, 0x18000);
        Events = new QueueRing(Memory, Size, 0x20000);
        _splitRx = splitRx;
        if (initialize)
        {
            Initialize(rxBuffers);
        }
    }

    public string Directory { get; }
    public string SocketPath { get; }
    public GuestMemory Memory { get; }
    public VirtioVsock Device { get; }
    public VirtioPciFunction Function { get; }
    public PciDriver Driver { get; }
    public QueueRing Rx { get; }
    public QueueRing Tx { get; }
    public QueueRing Events { get; }
    public RecordingInterrupt Interrupt { get; } = new(4);

    /// <summary>Packets received and not yet taken by <see cref="Expect"/>, oldest first.</summary>
    public List<VsockPacket> Received { get; } = [];

    /// <summary>rx buffers handed back with nothing in them.</summary>
    public int EmptyRxBuffers { get; private set; }

    /// <summary>Event ids delivered into event buffers.</summary>
    public List<uint> DeliveredEvents { get; } = [];

    /// <summary>Re-post each rx buffer once its packet is read (false: the guest stops refilling).</summary>
    public bool Refill { get; set; } = true;

    public long Counter(string name) => Device.ReadCounters().Single(c => c.Key == name).Value;

    /// <summary>§3.1.1 from a reset with all three queues, then rx and event buffers posted.</summary>
    public void Initialize(int rxBuffers)
    {
        _rxSeen = 0;
        _eventSeen = 0;
        _txPosted = 0;
        Driver.InitializeQueues(Driver.DeviceFeatures(), Rx, Tx, Events);
        for (ushort e = 0; e < 2; e++)
        {
            Events.Descriptor(e, EventData + (e * 16UL), VirtioVsockEvent.Size, VirtqDescriptor.FlagWrite);
            Events.Offer(e);
        }
        Function.NotifyQueue(VirtioVsock.EventQueue);
        PostRx(rxBuffers);
    }

    private int _rxPosted;

    /// <summary>Posts <paramref name="count"/> more rx buffers and notifies rx.</summary>
    public void PostRx(int count)
    {
        for (int i = 0; i < count; i++)
        {
            PostRxSlot((ushort)(_rxPosted++ % (_splitRx ? Size / 2 : Size)));
        }
        Function.NotifyQueue(VirtioVsock.RxQueue);
    }

    private void PostRxSlot(ushort slot)
    {
        ulong at = RxData + (slot * (ulong)(RxBufferSize + VirtioVsockHeader.Size));
        if (_splitRx)
        {
            ushort d = (ushort)(slot * 2);
            Rx.Descriptor(d, at, VirtioVsockHeader.Size, VirtqDescriptor.FlagWrite | VirtqDescriptor.FlagNext, (ushort)(d + 1));
            Rx.Descriptor((ushort)(d + 1), at + VirtioVsockHeader.Size, RxBufferSize, VirtqDescriptor.FlagWrite);
            Rx.Offer(d);
        }
        else
        {
            Rx.Descriptor(slot, at, RxBufferSize + VirtioVsockHeader.Size, VirtqDescriptor.FlagWrite);
            Rx.Offer(slot);
        }
    }

    /// <summary>A header as the guest sends it: from CID 3 to the host.</summary>
    public static VirtioVsockHeader Header(ushort op, uint guestPort, uint hostPort, uint length = 0, uint flags = 0, uint bufferAlloc = 64 * 1024, uint forwardCount = 0) => new()
    {
        SourceCid = Cid,
        DestinationCid = VirtioVsock.HostCid,
        SourcePort = guestPort,
        DestinationPort = hostPort,
        Length = length,
        Type = VirtioVsock.TypeStream,
        Op = op,
        Flags = flags,
        BufferAlloc = bufferAlloc,
        ForwardCount = forwardCount,
    };

    /// <summary>Puts one packet on tx (header and payload in one buffer, or in two) and notifies tx.</summary>
    public void Send(VirtioVsockHeader header, ReadOnlySpan<byte> payload = default, bool split = false, bool notify = true)
    {
        byte[] head = new byte[VirtioVsockHeader.Size];
        MemoryMarshal.Write(head, in header);
        SendRaw(head, payload, split, notify);
    }

    /// <summary>Puts raw bytes on tx as one chain: <paramref name="head"/>, then <paramref name="payload"/>
    /// (in the same buffer, or a second one).</summary>
    public void SendRaw(ReadOnlySpan<byte> head, ReadOnlySpan<byte> payload, bool split = false, bool notify = true)
    {
        Assert.True(head.Length + payload.Length <= TxSlotSize);
        int slot = _txPosted++ % TxSlots;
        ulong at = TxData + ((ulong)slot * TxSlotSize);
        ushort d = (ushort)(slot * 2);
        Memory.Write(new GuestAddress(at), head);
        if (split && !payload.IsEmpty)
        {
            Memory.Write(new GuestAddress(at + (ulong)head.Length + 64), payload);
            Tx.Descriptor(d, at, (uint)head.Length, VirtqDescriptor.FlagNext, (ushort)(d + 1));
            Tx.Descriptor((ushort)(d + 1), at + (ulong)head.Length + 64, (uint)payload.Length);
        }
        else
        {
            Memory.Write(new GuestAddress(at + (ulong)head.Length), payload);
            Tx.Descriptor(d, at, (uint)(head.Length + payload.Length));
        }
        Tx.Offer(d);
        if (notify)
        {
            Function.NotifyQueue(VirtioVsock.TxQueue);
        }
    }

    /// <summary>What the machine does when the device's epoll fd is readable, then reads what the
    /// guest got.</summary>
    public void Pump()
    {
        VirtioVsockWork work = Device.ProcessHostEvents();
        if ((work & VirtioVsockWork.Transmit) != 0)
        {
            Function.NotifyQueue(VirtioVsock.TxQueue);
        }
        if ((work & VirtioVsockWork.Receive) != 0)
        {
            Function.NotifyQueue(VirtioVsock.RxQueue);
        }
        if ((work & VirtioVsockWork.Event) != 0)
        {
            Function.NotifyQueue(VirtioVsock.EventQueue);
        }
        Harvest();
    }

    /// <summary>Pumps until <paramref name="done"/>, waiting on the device's epoll fd between
    /// rounds (never a bare sleep); fails after <paramref name="timeout"/> (5 s by default).</summary>
    public void PumpUntil(Func<bool> done, string what, TimeSpan? timeout = null, Action? step = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(5));
        while (true)
        {
            step?.Invoke();
            Pump();
            if (done())
            {
                return;
            }
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out waiting for {what}; received: {string.Join("; ", Received)}");
            }
            Poller.WaitReadable(Device.PollHandle, TimeSpan.FromMilliseconds(step is null ? 50 : 1));
        }
    }

    /// <summary>Pumps until a packet matching <paramref name="match"/> arrives, and takes it.</summary>
    public VsockPacket Expect(Func<VsockPacket, bool> match, string what, TimeSpan? timeout = null)
    {
        VsockPacket? found = null;
        PumpUntil(() => (found = Received.FirstOrDefault(match)) is not null, what, timeout);
        Received.Remove(found!);
        return found!;
    }

    /// <summary>Pumps until the host program at <paramref name="host"/> has read <paramref name="count"/>
    /// bytes (or end of stream), and returns them.</summary>
    public byte[] ReadHost(UnixSocket host, int count, TimeSpan? timeout = null)
    {
        var got = new List<byte>();
        byte[] buffer = new byte[64 * 1024];
        bool ended = false;
        PumpUntil(() => got.Count >= count || ended, $"{count} bytes at the host", timeout, () =>
        {
            while (got.Count < count && !ended && host.TryReceive(buffer.AsSpan(0, Math.Min(buffer.Length, count - got.Count))) is int n)
            {
                ended = n == 0;
                got.AddRange(buffer.AsSpan(0, n).ToArray());
            }
        });
        return [.. got];
    }

    /// <summary>Pumps until the host program at <paramref name="host"/> sees end of stream (or a reset).</summary>
    public void ExpectHostClosed(UnixSocket host, TimeSpan? timeout = null)
    {
        byte[] buffer = new byte[4096];
        bool closed = false;
        PumpUntil(() => closed, "the host socket to close", timeout, () =>
        {
            try
            {
                while (host.TryReceive(buffer) is int n)
                {
                    if (n == 0)
                    {
                        closed = true;
                        return;
                    }
                }
            }
            catch (ErrnoException e) when (e.Errno == Errno.ECONNRESET)
            {
                closed = true;
            }
        });
    }

    /// <summary>A host program: connects to the device's socket and writes <paramref name="line"/>.</summary>
    public UnixSocket ConnectHost(string line)
    {
        UnixSocket host = UnixSocket.Connect(SocketPath);
        host.Send(System.Text.Encoding.ASCII.GetBytes(line));
        return host;
    }

    /// <summary>A host service the guest connects to: listens at SocketPath_port.</summary>
    public UnixSocket ListenHost(uint port) => UnixSocket.Listen($"{SocketPath}_{port}");

    public GuestStream Stream(uint guestPort, uint hostPort, uint bufferAlloc = 64 * 1024)
    {
        var stream = new GuestStream(this, guestPort, hostPort, bufferAlloc);
        _streams.Add(stream);
        return stream;
    }

    // Reads the used rx and event buffers, routes data to the streams and re-posts the buffers.
    private void Harvest()
    {
        int reposted = 0;
        while (_rxSeen != Rx.UsedIdx)
        {
            VirtqUsedElement used = Rx.UsedAt(_rxSeen++);
            ushort slot = (ushort)(_splitRx ? used.Id / 2 : used.Id);
            ulong at = RxData + (slot * (ulong)(RxBufferSize + VirtioVsockHeader.Size));
            if (used.Length == 0)
            {
                EmptyRxBuffers++;
                if (Refill)
                {
                    PostRxSlot(slot);
                    reposted++;
                }
                continue;
            }
            var header = Memory.Read<VirtioVsockHeader>(new GuestAddress(at));
            Assert.Equal(used.Length, VirtioVsockHeader.Size + header.Length);
            byte[] payload = new byte[header.Length];
            Memory.Read(new GuestAddress(at + VirtioVsockHeader.Size), payload);
            var packet = new VsockPacket(header, payload);
            Assert.Equal(VirtioVsock.HostCid, header.SourceCid);
            Assert.Equal(Cid, header.DestinationCid);
            Assert.Equal(VirtioVsock.TypeStream, header.Type);
            GuestStream? stream = _streams.FirstOrDefault(s => s.GuestPort == header.DestinationPort && s.HostPort == header.SourcePort);
            if (stream is null || !stream.Absorb(packet))
            {
                Received.Add(packet);
            }
            if (Refill)
            {
                PostRxSlot(slot);
                reposted++;
            }
        }
        if (reposted > 0)
        {
            Function.NotifyQueue(VirtioVsock.RxQueue);
        }
        while (_eventSeen != Events.UsedIdx)
        {
            VirtqUsedElement used = Events.UsedAt(_eventSeen++);
            Assert.Equal((uint)VirtioVsockEvent.Size, used.Length);
            DeliveredEvents.Add(Memory.Read<VirtioVsockEvent>(new GuestAddress(EventData + (used.Id * 16UL))).Id);
        }
    }

    /// <summary>Disposes <paramref name="disposable"/> with the rig.</summary>
    public T Own<T>(T disposable)
        where T : IDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }

    public void Dispose()
    {
        foreach (IDisposable disposable in _owned)
        {
            disposable.Dispose();
        }
        Device.Dispose();
        Memory.Dispose();
        System.IO.Directory.Delete(Directory, true);
    }
}

/// <summary>The guest's end of one established stream, as Linux's virtio transport keeps it: it
/// consumes what arrives at once, tells the device its credit when half its buffer was consumed,
/// and sends within the device's credit. It checks that the device never sends beyond the credit
/// it was given.</summary>
public sealed class GuestStream(VsockRig rig, uint guestPort, uint hostPort, uint bufferAlloc)
{
    private uint _advertisedConsumed;

    public uint GuestPort { get; } = guestPort;
    public uint HostPort { get; } = hostPort;
    public uint BufferAlloc { get; } = bufferAlloc;
    public List<byte> Data { get; } = [];
    public uint Consumed { get; private set; }
    public uint Sent { get; private set; }
    public uint PeerBufferAlloc { get; private set; }
    public uint PeerForwardCount { get; private set; }
    public int MaxInFlight { get; private set; }

    /// <summary>Send a credit update after consuming half the buffer, as Linux does (false: never).</summary>
    public bool AutoCredit { get; set; } = true;
    public List<VsockPacket> Control { get; } = [];
    public int CreditUpdates { get; private set; }

    /// <summary>Takes the device's credit state from a packet it sent before the stream existed
    /// (the request or response that started it).</summary>
    public void Learn(VirtioVsockHeader header)
    {
        PeerBufferAlloc = header.BufferAlloc;
        PeerForwardCount = header.ForwardCount;
    }

    /// <summary>What the device can take now (§5.10.6.3).</summary>
    public uint Credit => PeerBufferAlloc - (Sent - PeerForwardCount);

    /// <summary>Takes the device's packet for this stream; false for packets the test should see (not RW or credit update).</summary>
    public bool Absorb(VsockPacket packet)
    {
        PeerBufferAlloc = packet.Header.BufferAlloc;
        PeerForwardCount = packet.Header.ForwardCount;
        switch (packet.Header.Op)
        {
            case VirtioVsock.OpReadWrite:
                Data.AddRange(packet.Payload);
                // Never more than the credit we gave (what we last told as consumed + our buffer).
                uint inFlight = (uint)Data.Count - _advertisedConsumed;
                MaxInFlight = Math.Max(MaxInFlight, (int)inFlight);
                Assert.True(inFlight <= BufferAlloc, $"device sent {inFlight} bytes past the guest's last credit update, more than buf_alloc {BufferAlloc}");
                Consumed += (uint)packet.Payload.Length;
                if (AutoCredit && Consumed - _advertisedConsumed >= BufferAlloc / 2)
                {
                    SendCreditUpdate();
                }
                return true;
            case VirtioVsock.OpCreditUpdate:
                CreditUpdates++;
                return true;
            default:
                Control.Add(packet);
                return false;
        }
    }

    public void SendCreditUpdate() => rig.Send(Packet(VirtioVsock.OpCreditUpdate));

    /// <summary>A header for this stream; it carries the guest's credit state, so the device's
    /// view of it moves on when it is sent.</summary>
    public VirtioVsockHeader Packet(ushort op, uint length = 0, uint flags = 0)
    {
        _advertisedConsumed = Consumed;
        return VsockRig.Header(op, GuestPort, HostPort, length, flags, BufferAlloc, Consumed);
    }

    /// <summary>Sends as much of <paramref name="data"/> as the device's credit allows, in packets of
    /// at most 4 KiB; returns how much went.</summary>
    public int Write(ReadOnlySpan<byte> data, int packetSize = 4096)
    {
        int sent = 0;
        while (sent < data.Length && Credit > 0)
        {
            int take = (int)Math.Min(Math.Min((uint)packetSize, Credit), (uint)(data.Length - sent));
            rig.Send(Packet(VirtioVsock.OpReadWrite, (uint)take), data.Slice(sent, take), split: sent % 2 == 0);
            Sent += (uint)take;
            sent += take;
        }
        return sent;
    }
}
