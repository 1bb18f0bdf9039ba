using System.Buffers.Binary;
using Vireo.Sys;
using Vireo.VfioUser;

namespace Vireo.Vmm.Tests;

/// <summary>A hand-rolled vfio-user server that answers from a configurable description, so a
/// test can make it say what no real device would: wrong sizes, missing fds, capability loops,
/// oversized replies, or no reply at all.</summary>
internal sealed class FakeVfioUserServer : IDisposable
{
    private readonly MessageChannel _channel;
    private readonly Thread _thread;

    public FakeVfioUserServer()
    {
        (UnixSocket serverEnd, UnixSocket clientEnd) = UnixSocket.CreatePair();
        ClientEnd = clientEnd;
        _channel = new MessageChannel(serverEnd, MessageChannel.PayloadLimit(VfioUserCapabilities.DefaultMaxDataTransferSize), 8);
        BinaryPrimitives.WriteUInt32LittleEndian(Config, 0x10f1_1af4);
        BinaryPrimitives.WriteUInt32LittleEndian(Config.AsSpan(8), 0x1200_0001);
        Config[0x3d] = 1;
        Regions[0] = new FakeRegion(0x1000);
        Regions[VfioRegionIndex.Config] = new FakeRegion(256);
        IrqCounts[0] = 1;
        _thread = new Thread(Serve) { IsBackground = true, Name = "fake vfio-user server" };
    }

    /// <summary>The client's end of the socket pair.</summary>
    public UnixSocket ClientEnd { get; }

    /// <summary>The config space the server reports (first 256 bytes).</summary>
    public byte[] Config { get; } = new byte[256];

    public Dictionary<uint, FakeRegion> Regions { get; } = [];

    public Dictionary<uint, uint> IrqCounts { get; } = [];

    /// <summary>Every config write the server received: offset and bytes.</summary>
    public List<(ulong Offset, byte[] Data)> ConfigWrites { get; } = [];

    /// <summary>BAR reads (not config reads) are never answered: a stalled server.</summary>
    public bool StallBarReads { get; set; }

    /// <summary>From the next message on, the server answers only BAR region reads (zeros) and
    /// writes, without allocating, so a test can count what the client side allocates.</summary>
    public bool AllocationFreeBarAccesses { get; set; }

    /// <summary>Handles a command instead of the defaults when it returns true.</summary>
    public Func<ReceivedMessage, MessageChannel, bool>? Override { get; set; }

    public FakeVfioUserServer Start()
    {
        _thread.Start();
        return this;
    }

    public void Dispose()
    {
        _channel.Shutdown();
        _thread.Join(TimeSpan.FromSeconds(5));
        _channel.Dispose();
        foreach (FakeRegion region in Regions.Values)
        {
            region.Fd?.Dispose();
        }
    }

    private void Serve()
    {
        try
        {
            while (!AllocationFreeBarAccesses && _channel.Receive() is ReceivedMessage message)
            {
                using (message)
                {
                    if (Override?.Invoke(message, _channel) != true)
                    {
                        Answer(message);
                    }
                }
            }
        }
        catch (VireoException)
        {
            // The client went away or broke the framing: the fake just stops.
            return;
        }
        ServeBarAccessesWithoutAllocating();
    }

    private void ServeBarAccessesWithoutAllocating()
    {
        UnixSocket socket = _channel.Socket;
        byte[] buffer = new byte[MessageHeader.Size + RegionAccess.Length + 4096];
        try
        {
            while (ReadExactly(socket, buffer.AsSpan(0, MessageHeader.Size)))
            {
                MessageHeader header = MessageHeader.Read(buffer);
                if (header.PayloadSize < RegionAccess.Length || header.MessageSize > buffer.Length
                    || !ReadExactly(socket, buffer.AsSpan(MessageHeader.Size, header.PayloadSize)))
                {
                    return;
                }
                uint count = BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(MessageHeader.Size + 12));
                int data = header.Command == VfioUserCommand.RegionRead ? (int)count : 0;
                int length = MessageHeader.Size + RegionAccess.Length + data;
                new MessageHeader(header.MessageId, header.Command, (uint)length, MessageFlags.Reply, 0).Write(buffer);
                buffer.AsSpan(MessageHeader.Size + RegionAccess.Length, data).Clear();
                socket.Send(buffer.AsSpan(0, length));
            }
        }
        catch (ErrnoException)
        {
            // The client went away.
        }
    }

    private static bool ReadExactly(UnixSocket socket, Span<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            int got = socket.Receive(buffer, null, 0, out _);
            if (got == 0)
            {
                return false;
            }
            buffer = buffer[got..];
        }
        return true;
    }

    private void Answer(ReceivedMessage message)
    {
        MessageHeader header = message.Header;
        var reply = new MessageHeader(header.MessageId, header.Command, 0, MessageFlags.Reply, 0);
        switch (header.Command)
        {
            case VfioUserCommand.Version:
                _channel.Send(reply, new VersionPayload(0, 2, null));
                return;
            case VfioUserCommand.DeviceGetInfo:
                _channel.Send(reply, new DeviceInfo(DeviceInfo.Length, DeviceInfoFlags.Reset | DeviceInfoFlags.Pci, VfioRegionIndex.Count, 5));
                return;
            case VfioUserCommand.DeviceGetRegionInfo:
            {
                RegionInfo request = RegionInfo.Decode(message.Payload);
                FakeRegion region = Regions.GetValueOrDefault(request.Index) ?? new FakeRegion(0, RegionInfoFlags.None);
                RegionInfoFlags flags = region.Flags | (region.Sparse is null ? 0 : RegionInfoFlags.Caps);
                var info = new RegionInfo(0, flags, request.Index, region.Sparse is null ? 0u : RegionInfo.Length, region.Size, 0, region.Sparse);
                info = info with { Argsz = (uint)info.EncodedLength };
                _channel.Send(reply, info, region.Fd is SafeFd fd ? [fd] : []);
                return;
            }
            case VfioUserCommand.RegionRead:
            {
                RegionAccess request = RegionAccess.Decode(message.Payload, withData: false);
                if (request.Region != VfioRegionIndex.Config && StallBarReads)
                {
                    return;
                }
                byte[] data = new byte[request.Count];
                if (request.Region == VfioRegionIndex.Config && request.Offset < (ulong)Config.Length)
                {
                    Config.AsSpan((int)request.Offset, (int)Math.Min(request.Count, (ulong)Config.Length - request.Offset)).CopyTo(data);
                }
                _channel.Send(reply, request with { Data = data });
                return;
            }
            case VfioUserCommand.RegionWrite:
            {
                RegionAccess request = RegionAccess.Decode(message.Payload, withData: true);
                if (request.Region == VfioRegionIndex.Config)
                {
                    lock (ConfigWrites)
                    {
                        ConfigWrites.Add((request.Offset, request.Data.ToArray()));
                    }
                }
                _channel.Send(reply, request with { Data = ReadOnlyMemory<byte>.Empty });
                return;
            }
            case VfioUserCommand.DeviceGetIrqInfo:
            {
                IrqInfo request = IrqInfo.Decode(message.Payload);
                _channel.Send(reply, new IrqInfo(IrqInfo.Length, IrqInfoFlags.EventFd | IrqInfoFlags.Maskable, request.Index, IrqCounts.GetValueOrDefault(request.Index)));
                return;
            }
            case VfioUserCommand.DeviceGetRegionIoFds:
            {
                RegionIoFds request = RegionIoFds.Decode(message.Payload);
                _channel.Send(reply, new RegionIoFds(RegionIoFds.Length, 0, request.Index, 0, ReadOnlyMemory<byte>.Empty));
                return;
            }
            case VfioUserCommand.DmaUnmap:
                _channel.Send(reply, new RawPayload(message.Payload));
                return;
            case VfioUserCommand.DeviceReset or VfioUserCommand.DeviceSetIrqs or VfioUserCommand.DmaMap:
                _channel.Send(reply, default(EmptyPayload));
                return;
            default:
                _channel.SendError(header.MessageId, header.Command, Errno.EINVAL);
                return;
        }
    }
}

/// <summary>One region as the fake server describes it.</summary>
internal sealed record FakeRegion(ulong Size, RegionInfoFlags Flags = RegionInfoFlags.Read | RegionInfoFlags.Write, IReadOnlyList<SparseMmapArea>? Sparse = null, SafeFd? Fd = null);
