using System.Buffers.Binary;
using Vireo.Sys;

namespace Vireo.VfioUser.Tests;

/// <summary>DMA_READ/DMA_WRITE read in place: the server receives a read reply's data straight
/// into the device's buffer and the client serves the server's commands without a whole-message
/// array. Each side against a hand-driven peer that lies about lengths, addresses and counts:
/// the access fails with a clear errno, nothing is allocated from the peer's numbers, and the
/// next message is read from the right place (the stream stays in step).</summary>
public sealed class DmaMessageTests
{
    private const int Timeout = 30_000;
    private const ulong Base = 0x200000;
    private const int Size = 0x10000;
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(5);

    // name, DMA_WRITE (else DMA_READ), how the reply is built from the request, errno or 0.
    public static TheoryData<string, bool, int> BadReplies => new()
    {
        { "read: exact", false, 0 },
        { "read: data one byte short", false, Errno.EIO },
        { "read: data one byte long", false, Errno.EIO },
        { "read: another address", false, Errno.EIO },
        { "read: another count", false, Errno.EIO },
        { "read: payload shorter than the fixed part", false, Errno.EIO },
        { "read: error reply with a payload", false, Errno.EFAULT },
        { "write: exact", true, 0 },
        { "write: extra bytes after the fixed part", true, 0 },
        { "write: payload shorter than the fixed part", true, Errno.EIO },
        { "write: another address", true, Errno.EIO },
        { "write: error reply with a payload", true, Errno.EFAULT },
    };

    [Theory(Timeout = Timeout)]
    [MemberData(nameof(BadReplies))]
    public Task ServerChecksEachDmaReplyAndStaysInStep(string name, bool write, int errno) => Task.Run(() =>
    {
        // On the twin socket the request waits for its reply itself (the in-place path); on the
        // main socket the serving thread hands the reply over.
        foreach (bool twin in new[] { true, false })
        {
            using var client = new RawClient(twin);
            byte[] data = [1, 2, 3, 4, 5, 6, 7, 8];
            Task<byte[]> access = Task.Run(() =>
            {
                byte[] buffer = new byte[8];
                if (write)
                {
                    client.Server.DmaWrite(Base + 0x20, data);
                }
                else
                {
                    client.Server.DmaRead(Base + 0x20, buffer);
                }
                return buffer;
            });
            (MessageHeader request, byte[] payload) = client.NextDmaRequest();
            Assert.Equal(write ? VfioUserCommand.DmaWrite : VfioUserCommand.DmaRead, request.Command);
            Assert.Equal(Base + 0x20, BinaryPrimitives.ReadUInt64LittleEndian(payload));
            Assert.Equal(8UL, BinaryPrimitives.ReadUInt64LittleEndian(payload.AsSpan(8)));
            Assert.Equal(write ? data : [], payload.AsSpan(DmaAccess.Length).ToArray());
            client.SendToDma(Reply(name, request, Base + 0x20, data));
            if (errno == 0)
            {
                byte[] got = access.WaitAsync(Long).GetAwaiter().GetResult();
                Assert.Equal(write ? new byte[8] : data, got);
            }
            else
            {
                AggregateException e = Assert.Throws<AggregateException>(() => access.Wait(Long));
                Assert.Equal(errno, Assert.IsType<VfioUserException>(e.InnerException).Errno);
            }
            // The refused reply was read to its end: the next DMA is answered normally.
            client.AssertNextReadWorks(twin, name);
        }
    });

    [Fact(Timeout = Timeout)]
    public Task TheServerAnswersTheClientWhileADeviceThreadsTwinDmaAwaitsItsReply() => Task.Run(() =>
    {
        // A driver polls a completion register while the device's DMA is outstanding: the
        // serving thread must answer it then, not after the DMA (it used to wait on the lock
        // the DMA held for its whole exchange).
        using var client = new RawClient(twin: true);
        Task<byte[]> read = Task.Run(() =>
        {
            byte[] buffer = new byte[4];
            client.Server.DmaRead(Base + 0x40, buffer);
            return buffer;
        });
        (MessageHeader request, _) = client.NextDmaRequest();
        MessageHeader info = client.MainRequest(new MessageHeader(3, VfioUserCommand.DeviceGetInfo, 0, MessageFlags.Command, 0), DeviceInfo.Request);
        Assert.False(info.IsError);
        Assert.False(read.IsCompleted);
        client.SendToDma(RawPeer.Message(request.MessageId, VfioUserCommand.DmaRead, [.. Fixed(Base + 0x40, 4), 4, 3, 2, 1], MessageFlags.Reply));
        Assert.True(read.Wait(Long));
        Assert.Equal([4, 3, 2, 1], read.Result);
    });

    [Fact(Timeout = Timeout)]
    public Task AReplyAnnouncingMoreThanTheLimitEndsTheAccessWithoutAllocatingIt() => Task.Run(() =>
    {
        using var client = new RawClient(twin: true);
        Task access = Task.Run(() => client.Server.DmaRead(Base, new byte[8]));
        (MessageHeader request, _) = client.NextDmaRequest();
        byte[] lie = new byte[MessageHeader.Size + DmaAccess.Length];
        new MessageHeader(request.MessageId, VfioUserCommand.DmaRead, uint.MaxValue, MessageFlags.Reply, 0).Write(lie);
        client.SendToDma(lie);
        AggregateException e = Assert.Throws<AggregateException>(() => access.Wait(Long));
        Assert.IsType<VfioUserDisconnectedException>(e.InnerException);
        Assert.Contains("exceeds the limit", e.InnerException!.Message, StringComparison.Ordinal);
    });

    [Fact(Timeout = Timeout)]
    public Task DmaOfManyPiecesMovesEveryByteBothWays() => Task.Run(() =>
    {
        // 4 KiB pieces: a 1 MiB + 3 bytes access is 257 messages each way; the client lends
        // guest memory on the twin socket and copies through a pooled buffer on the main one.
        foreach (bool twin in new[] { true, false })
        {
            var memory = new GuestMemory(Base, 4 << 20, lend: twin);
            using var pair = new Pair(new VfioUserClientOptions { DmaTarget = memory, RequestTwinSocket = twin, MaxDataTransferSize = 4096 });
            pair.Client.DmaMap(Base, 4 << 20, DmaMapFlags.Read | DmaMapFlags.Write);
            byte[] pattern = new byte[(1 << 20) + 3];
            new Random(twin ? 1 : 2).NextBytes(pattern);
            Task.Run(() => pair.Server.DmaWrite(Base + 5, pattern)).Wait(Long);
            Assert.True(pattern.AsSpan().SequenceEqual(memory.Bytes.AsSpan(5, pattern.Length)));
            byte[] back = new byte[pattern.Length];
            Task.Run(() => pair.Server.DmaRead(Base + 5, back)).Wait(Long);
            Assert.True(pattern.AsSpan().SequenceEqual(back));
        }
    });

    // name, the command's payload (address Base + 0x10 unless the case says otherwise), errno or
    // 0, whether the target must hold the DMA_WRITE's bytes afterwards.
    public static TheoryData<string, VfioUserCommand, byte[], int> ServerCommands => new()
    {
        { "read: exact", VfioUserCommand.DmaRead, Fixed(Base + 0x10, 8), 0 },
        { "read: bytes after the fixed part are ignored", VfioUserCommand.DmaRead, [.. Fixed(Base + 0x10, 8), 0xEE, 0xEE, 0xEE], 0 },
        { "read: shorter than the fixed part", VfioUserCommand.DmaRead, new byte[10], Errno.EINVAL },
        { "read: more than max_data_xfer_size", VfioUserCommand.DmaRead, Fixed(Base, 1UL << 40), Errno.EINVAL },
        { "read: outside guest memory", VfioUserCommand.DmaRead, Fixed(Base + Size, 8), Errno.EFAULT },
        { "write: exact", VfioUserCommand.DmaWrite, [.. Fixed(Base + 0x10, 4), 9, 8, 7, 6], 0 },
        { "write: count above the data", VfioUserCommand.DmaWrite, [.. Fixed(Base + 0x10, 5), 9, 8, 7, 6], Errno.EINVAL },
        { "write: count below the data", VfioUserCommand.DmaWrite, [.. Fixed(Base + 0x10, 3), 9, 8, 7, 6], Errno.EINVAL },
        { "write: count near 2^64", VfioUserCommand.DmaWrite, [.. Fixed(Base + 0x10, ulong.MaxValue), 9, 8, 7, 6], Errno.EINVAL },
        { "write: shorter than the fixed part", VfioUserCommand.DmaWrite, new byte[15], Errno.EINVAL },
        { "write: outside guest memory", VfioUserCommand.DmaWrite, [.. Fixed(Base + Size - 2, 4), 9, 8, 7, 6], Errno.EFAULT },
        { "another command with a payload", VfioUserCommand.RegionRead, new byte[40], Errno.EINVAL },
    };

    [Theory(Timeout = Timeout)]
    [MemberData(nameof(ServerCommands))]
    public Task ClientServesEachDmaCommandAndStaysInStep(string name, VfioUserCommand command, byte[] payload, int errno) => Task.Run(() =>
    {
        // Twin socket or main socket, guest memory lent in place or copied through a pooled buffer.
        foreach ((bool twin, bool lend) in new[] { (true, true), (true, false), (false, true), (false, false) })
        {
            using var server = new RawServer(twin, maxDataTransferSize: 4096, lend: lend);
            new byte[] { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88 }.CopyTo(server.Memory.Bytes.AsSpan(0x10));
            (MessageHeader reply, byte[] answer) = server.Command(7, command, payload);
            Assert.True(reply.IsReply, name);
            Assert.Equal(7, reply.MessageId);
            Assert.Equal(command, reply.Command);
            if (errno != 0)
            {
                Assert.True(reply.IsError, name);
                Assert.Equal((uint)errno, reply.Error);
                Assert.Empty(answer);
                // A refused write leaves guest memory as it was.
                Assert.Equal(0x11, server.Memory.Bytes[0x10]);
            }
            else if (command == VfioUserCommand.DmaRead)
            {
                Assert.False(reply.IsError, name);
                Assert.Equal([.. Fixed(Base + 0x10, 8), 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88], answer);
            }
            else
            {
                Assert.False(reply.IsError, name);
                Assert.Equal(Fixed(Base + 0x10, 4), answer);
                Assert.Equal([9, 8, 7, 6, 0x55], server.Memory.Bytes.AsSpan(0x10, 5).ToArray());
            }
            // Whatever came before, the next command is read from its first byte.
            (MessageHeader next, byte[] nextAnswer) = server.Command(8, VfioUserCommand.DmaRead, Fixed(Base + 0x11, 2));
            Assert.False(next.IsError, name);
            Assert.Equal(8, next.MessageId);
            Assert.Equal(DmaAccess.Length + 2, nextAnswer.Length);
        }
    });

    [Fact(Timeout = Timeout)]
    public Task ClientWithoutATargetRefusesAndStaysInStep() => Task.Run(() =>
    {
        using var server = new RawServer(twin: false, maxDataTransferSize: 4096, withTarget: false);
        (MessageHeader reply, _) = server.Command(3, VfioUserCommand.DmaWrite, [.. Fixed(Base, 4), 1, 2, 3, 4]);
        Assert.Equal((uint)Errno.EFAULT, reply.Error);
        (reply, _) = server.Command(4, VfioUserCommand.DmaRead, Fixed(Base, 4));
        Assert.Equal(4, reply.MessageId);
        Assert.Equal((uint)Errno.EFAULT, reply.Error);
    });

    [Fact(Timeout = Timeout)]
    public Task ATargetThatLendsTheWrongLengthIsRefusedNotOverrun() => Task.Run(() =>
    {
        using var server = new RawServer(twin: true, maxDataTransferSize: 4096, lend: true, lendExtra: 1);
        (MessageHeader reply, _) = server.Command(3, VfioUserCommand.DmaRead, Fixed(Base, 4));
        Assert.Equal((uint)Errno.EFAULT, reply.Error);
        (reply, _) = server.Command(4, VfioUserCommand.DmaWrite, [.. Fixed(Base, 4), 1, 2, 3, 4]);
        Assert.Equal((uint)Errno.EFAULT, reply.Error);
        Assert.Equal(new byte[5], server.Memory.Bytes.AsSpan(0, 5).ToArray());
    });

    [Fact(Timeout = Timeout)]
    public Task ATargetThatOverflowsRefusesThatDmaAndTheClientLivesOn() => Task.Run(() =>
    {
        // The bench's memory computes its offset with a checked cast: an address below its base
        // overflowed, and the exception used to end the client's reader thread (and the process).
        using var server = new RawServer(twin: true, maxDataTransferSize: 4096);
        server.Memory.OverflowBelowBase = true;
        (MessageHeader reply, _) = server.Command(3, VfioUserCommand.DmaRead, Fixed(Base - 0x1000, 4));
        Assert.Equal((uint)Errno.EFAULT, reply.Error);
        (reply, _) = server.Command(4, VfioUserCommand.DmaWrite, [.. Fixed(Base - 0x1000, 2), 1, 2]);
        Assert.Equal((uint)Errno.EFAULT, reply.Error);
        (reply, byte[] answer) = server.Command(5, VfioUserCommand.DmaRead, Fixed(Base, 2));
        Assert.False(reply.IsError);
        Assert.Equal(DmaAccess.Length + 2, answer.Length);
    });

    [Fact(Timeout = Timeout)]
    public Task ClientHonoursNoReplyOnADmaWrite() => Task.Run(() =>
    {
        using var server = new RawServer(twin: true, maxDataTransferSize: 4096);
        server.Send(new MessageHeader(5, VfioUserCommand.DmaWrite, 0, MessageFlags.Command | MessageFlags.NoReply, 0), [.. Fixed(Base + 0x40, 2), 0xAB, 0xCD]);
        (MessageHeader reply, _) = server.Command(6, VfioUserCommand.DmaRead, Fixed(Base + 0x40, 2));
        Assert.Equal(6, reply.MessageId);
        Assert.Equal([0xAB, 0xCD], server.Memory.Bytes.AsSpan(0x40, 2).ToArray());
    });

    [Fact(Timeout = Timeout)]
    public Task ClientDropsAServerThatAnnouncesMoreThanItsLimit() => Task.Run(() =>
    {
        using var server = new RawServer(twin: false, maxDataTransferSize: 4096);
        byte[] lie = new byte[MessageHeader.Size + DmaAccess.Length];
        new MessageHeader(9, VfioUserCommand.DmaWrite, 1u << 30, MessageFlags.Command, 0).Write(lie);
        Fixed(Base, (1u << 30) - 32).CopyTo(lie.AsSpan(MessageHeader.Size));
        server.SendRaw(lie);
        Assert.Throws<VfioUserDisconnectedException>(() => server.Client.GetDeviceInfo());
    });

    [Fact(Timeout = Timeout)]
    public Task APooledReplyIsReadInPlaceCopiedOnlyWhenAskedAndGivenBackOnce() => Task.Run(() =>
    {
        (UnixSocket a, UnixSocket b) = UnixSocket.CreatePair();
        using var sender = new MessageChannel(a, 1 << 21, 0);
        using var receiver = new MessageChannel(b, 1 << 21, 0);
        byte[] data = [.. Fixed(Base, 3), 1, 2, 3];
        sender.SendRaw(RawPeer.Message(4, VfioUserCommand.DmaRead, data, MessageFlags.Reply));
        var fds = new List<SafeFd>();
        Assert.True(receiver.ReceiveHeader(fds, out MessageHeader header, out long deadline));
        ReceivedMessage message = receiver.ReceiveRest(header, fds, deadline, pooled: true);
        Assert.Equal(data, message.Body.ToArray());
        Assert.Equal(data, message.Payload);
        message.Dispose();
        message.Dispose();
        // The copy made before Dispose stays; a pooled message never read is gone with it.
        Assert.Equal(data, message.Payload);
        sender.SendRaw(RawPeer.Message(5, VfioUserCommand.DmaRead, data, MessageFlags.Reply));
        Assert.True(receiver.ReceiveHeader(fds, out header, out deadline));
        ReceivedMessage unread = receiver.ReceiveRest(header, fds, deadline, pooled: true);
        unread.Dispose();
        Assert.Throws<ObjectDisposedException>(() => unread.Payload);
    });

    private static byte[] Fixed(ulong address, ulong count)
    {
        byte[] bytes = new byte[DmaAccess.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, address);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(8), count);
        return bytes;
    }

    /// <summary>The reply a case names, as raw bytes.</summary>
    private static byte[] Reply(string name, MessageHeader request, ulong address, byte[] data)
    {
        bool read = request.Command == VfioUserCommand.DmaRead;
        MessageFlags flags = MessageFlags.Reply;
        uint error = 0;
        byte[] payload = name.Split(": ")[1] switch
        {
            "exact" => read ? [.. Fixed(address, 8), .. data] : Fixed(address, 8),
            "data one byte short" => [.. Fixed(address, 8), .. data[..7]],
            "data one byte long" => [.. Fixed(address, 8), .. data, 0],
            "another address" => [.. Fixed(address + 1, 8), .. (read ? data : [])],
            "another count" => [.. Fixed(address, 7), .. data],
            "payload shorter than the fixed part" => new byte[DmaAccess.Length - 1],
            "extra bytes after the fixed part" => [.. Fixed(address, 8), 1, 2, 3],
            "error reply with a payload" => new byte[24],
            _ => throw new ArgumentException(name),
        };
        if (name.EndsWith("error reply with a payload", StringComparison.Ordinal))
        {
            flags |= MessageFlags.Error;
            error = (uint)Errno.EFAULT;
        }
        byte[] message = RawPeer.Message(request.MessageId, request.Command, payload, flags);
        new MessageHeader(request.MessageId, request.Command, (uint)message.Length, flags, error).Write(message);
        return message;
    }

    /// <summary>A hand-driven client of a real server: negotiates (with or without the twin
    /// socket), maps [Base, Base + Size) without an fd and answers the server's DMA by hand.</summary>
    private sealed class RawClient : IDisposable
    {
        private readonly TestDevice _device = new();
        private readonly Thread _thread;
        private readonly MessageChannel _main;
        private readonly MessageChannel? _twin;

        public RawClient(bool twin)
        {
            Server = new VfioUserServer(_device, new VfioUserServerOptions { DmaReplyTimeout = Long });
            (UnixSocket serverEnd, UnixSocket clientEnd) = UnixSocket.CreatePair();
            _main = new MessageChannel(clientEnd, 1 << 21, 8);
            _thread = new Thread(() => Server.Serve(serverEnd)) { IsBackground = true };
            _thread.Start();
            string json = twin ? "{\"capabilities\":{\"twin_socket\":{\"supported\":true}}}" : "{}";
            using (ReceivedMessage version = Request(new MessageHeader(1, VfioUserCommand.Version, 0, MessageFlags.Command, 0), new VersionPayload(0, 2, json)))
            {
                _twin = twin ? new MessageChannel(UnixSocket.FromHandle(version.TakeFd(0)), 1 << 21, 0) : null;
            }
            Request(new MessageHeader(2, VfioUserCommand.DmaMap, 0, MessageFlags.Command, 0), new DmaMapRequest(DmaMapFlags.Read | DmaMapFlags.Write, 0, Base, Size)).Dispose();
        }

        public VfioUserServer Server { get; }

        private MessageChannel DmaChannel => _twin ?? _main;

        public (MessageHeader Header, byte[] Payload) NextDmaRequest()
        {
            Assert.True(Poller.WaitReadable(DmaChannel.Socket.Handle, Long), "no DMA request came");
            using ReceivedMessage message = DmaChannel.Receive()!;
            Assert.True(message.Header.IsCommand);
            return (message.Header, message.Payload);
        }

        public void SendToDma(byte[] bytes) => DmaChannel.SendRaw(bytes);

        public void AssertNextReadWorks(bool twin, string name)
        {
            Task<byte[]> read = Task.Run(() =>
            {
                byte[] buffer = new byte[3];
                Server.DmaRead(Base + 0x30, buffer);
                return buffer;
            });
            (MessageHeader request, byte[] payload) = NextDmaRequest();
            Assert.Equal(Base + 0x30, BinaryPrimitives.ReadUInt64LittleEndian(payload));
            SendToDma(RawPeer.Message(request.MessageId, VfioUserCommand.DmaRead, [.. Fixed(Base + 0x30, 3), 7, 7, 7], MessageFlags.Reply));
            Assert.True(read.Wait(Long), $"{name} (twin {twin}): the next read got no answer");
            Assert.Equal([7, 7, 7], read.Result);
        }

        /// <summary>A command on the main socket; its reply's header (within 5 s).</summary>
        public MessageHeader MainRequest<TPayload>(MessageHeader header, TPayload payload)
            where TPayload : IVfioUserPayload
        {
            _main.Send(header, payload);
            Assert.True(Poller.WaitReadable(_main.Socket.Handle, Long), "the server did not answer on the main socket");
            using ReceivedMessage reply = _main.Receive()!;
            return reply.Header;
        }

        private ReceivedMessage Request<TPayload>(MessageHeader header, TPayload payload)
            where TPayload : IVfioUserPayload
        {
            _main.Send(header, payload);
            Assert.True(Poller.WaitReadable(_main.Socket.Handle, Long));
            ReceivedMessage reply = _main.Receive()!;
            Assert.False(reply.Header.IsError);
            return reply;
        }

        public void Dispose()
        {
            _main.Dispose();
            _twin?.Dispose();
            _thread.Join(Long);
            _device.Dispose();
        }
    }

    /// <summary>A hand-driven server end for a real client: answers its VERSION (granting the
    /// twin socket when asked) and then sends DMA commands by hand.</summary>
    private sealed class RawServer : IDisposable
    {
        private readonly MessageChannel _main;
        private readonly MessageChannel _dma;

        public RawServer(bool twin, uint maxDataTransferSize, bool withTarget = true, bool lend = false, int lendExtra = 0)
        {
            Memory = new GuestMemory(Base, Size, lend, lendExtra);
            (UnixSocket serverEnd, UnixSocket clientEnd) = UnixSocket.CreatePair();
            _main = new MessageChannel(serverEnd, 1 << 21, 8);
            var options = new VfioUserClientOptions
            {
                DmaTarget = withTarget ? Memory : null,
                RequestTwinSocket = twin,
                MaxDataTransferSize = maxDataTransferSize,
                ReplyTimeout = Long,
            };
            Task<VfioUserClient> opening = Task.Run(() => VfioUserClient.Open(clientEnd, options));
            Assert.True(Poller.WaitReadable(_main.Socket.Handle, Long));
            using ReceivedMessage version = _main.Receive()!;
            var reply = new MessageHeader(version.Header.MessageId, VfioUserCommand.Version, 0, MessageFlags.Reply, 0);
            if (twin)
            {
                (UnixSocket mine, UnixSocket theirs) = UnixSocket.CreatePair();
                _main.Send(reply, new VersionPayload(0, 2, "{\"capabilities\":{\"twin_socket\":{\"supported\":true,\"fd_index\":0}}}"), [theirs.Handle]);
                theirs.Dispose();
                _dma = new MessageChannel(mine, 1 << 21, 0);
            }
            else
            {
                _main.Send(reply, new VersionPayload(0, 2, "{}"));
                _dma = _main;
            }
            Assert.True(opening.Wait(Long));
            Client = opening.Result;
            Assert.Equal(twin, Client.TwinSocketActive);
        }

        public GuestMemory Memory { get; }

        public VfioUserClient Client { get; }

        public void Send(MessageHeader header, byte[] payload) => _dma.SendRaw(RawPeer.Message(header.MessageId, header.Command, payload, header.Flags));

        public void SendRaw(byte[] bytes) => _dma.SendRaw(bytes);

        /// <summary>Sends a command and returns its reply.</summary>
        public (MessageHeader Header, byte[] Payload) Command(ushort id, VfioUserCommand command, byte[] payload)
        {
            Send(new MessageHeader(id, command, 0, MessageFlags.Command, 0), payload);
            Assert.True(Poller.WaitReadable(_dma.Socket.Handle, Long), "the client did not answer");
            using ReceivedMessage reply = _dma.Receive()!;
            return (reply.Header, reply.Payload);
        }

        public void Dispose()
        {
            Client.Dispose();
            _main.Dispose();
            if (_dma != _main)
            {
                _dma.Dispose();
            }
        }
    }

    /// <summary>Guest memory that lends spans when <paramref name="lend"/> (one
    /// <paramref name="lendExtra"/> bytes too long, to play a buggy target).</summary>
    private sealed class GuestMemory(ulong baseAddress, int size, bool lend = false, int lendExtra = 0) : IVfioUserDmaTarget
    {
        public byte[] Bytes { get; } = new byte[size];

        public bool TryGetSpan(ulong address, int length, bool forWrite, out Span<byte> memory)
        {
            memory = lend ? Bytes.AsSpan(Offset(address), length + lendExtra) : default;
            return lend;
        }

        public void Read(ulong address, Span<byte> destination) => Bytes.AsSpan(Offset(address), destination.Length).CopyTo(destination);

        public void Write(ulong address, ReadOnlySpan<byte> source) => source.CopyTo(Bytes.AsSpan(Offset(address), source.Length));

        /// <summary>Addresses below the base overflow a checked cast instead of being refused.</summary>
        public bool OverflowBelowBase { get; set; }

        // Outside the range is the caller's fault: ArgumentOutOfRangeException, which the client answers EFAULT.
        private int Offset(ulong address) => OverflowBelowBase && address < baseAddress
            ? checked((int)(address - baseAddress))
            : address < baseAddress || address - baseAddress > (ulong)size
                ? throw new ArgumentOutOfRangeException(nameof(address))
                : (int)(address - baseAddress);
    }
}
