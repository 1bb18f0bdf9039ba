using System.Buffers.Binary;
using Vireo.SampleDevice;
using Vireo.Sys;

namespace Vireo.VfioUser.Tests;

/// <summary>
/// Issue 17: QEMU blocks a vCPU on a region write until its reply arrives and serves the
/// server's DMA_READ/DMA_WRITE only from its main loop, afterwards. A server that sends its DMA
/// messages before answering the doorbell write deadlocks with it. This client behaves the same
/// way: while a command of its own is outstanding it answers no DMA request.
/// </summary>
public sealed class QemuLikeClientTests
{
    private const ulong Guest = 0x10_0000;

    [Fact(Timeout = 30_000)]
    public Task DoorbellIsAnsweredBeforeTheDeviceDmasAndCommandsFlowMeanwhile() => Task.Run(() =>
    {
        using var device = new AcceleratorDevice();
        var server = new VfioUserServer(device);
        (UnixSocket serverEnd, UnixSocket clientEnd) = UnixSocket.CreatePair();
        using var stop = new CancellationTokenSource();
        var serving = new Thread(() => server.Serve(serverEnd, stop.Token)) { IsBackground = true };
        serving.Start();
        using var client = new QemuLikeClient(clientEnd);
        try
        {
            client.Call(VfioUserCommand.Version, RawPeer.Encode(new VersionPayload(0, 0, "{}")));
            // Guest RAM reached only by messages (no fd), as with a non-shared QEMU backend.
            client.Call(VfioUserCommand.DmaMap, RawPeer.Encode(new DmaMapRequest(DmaMapFlags.Read | DmaMapFlags.Write, 0, Guest, 0x2000)));
            client.Memory.AsSpan(0, 256).Fill(0x6b);
            client.WriteBar0(AcceleratorDevice.RegSource, Guest, 8);
            client.WriteBar0(AcceleratorDevice.RegDestination, Guest + 0x1000, 8);
            client.WriteBar0(AcceleratorDevice.RegLength, 256, 4);

            // The doorbell's reply must come although the client answers no DMA meanwhile.
            client.WriteBar0(AcceleratorDevice.RegDoorbell, 1, 4);
            // The device's DMA_READ comes; left unanswered, commands are still served.
            Assert.True(client.HoldDma(TimeSpan.FromSeconds(5)), "the device never asked for DMA");
            Assert.Equal(AcceleratorDevice.Id, client.ReadBar0U32(AcceleratorDevice.RegId));
            Assert.Equal(0u, client.ReadBar0U32(AcceleratorDevice.RegCompleted));
            Assert.Equal(0u, device.Completed);

            // The "main loop" now serves the device's DMA until the copy is complete.
            DateTime until = DateTime.UtcNow.AddSeconds(10);
            while (device.Completed == 0 && DateTime.UtcNow < until)
            {
                client.ServeDma(TimeSpan.FromMilliseconds(50));
            }
            Assert.Equal(1u, device.Completed);
            Assert.Equal(AcceleratorDevice.StatusDone, client.ReadBar0U32(AcceleratorDevice.RegStatus) & 3);
            Assert.True(client.Memory.AsSpan(0x1000, 256).IndexOfAnyExcept((byte)0x6b) < 0);
        }
        finally
        {
            clientEnd.Shutdown();
            stop.Cancel();
            Assert.True(serving.Join(TimeSpan.FromSeconds(10)));
        }
    });

    [Fact(Timeout = 30_000)]
    public Task AClientThatLeavesWithDmaOutstandingFailsTheCopyNotTheServer() => Task.Run(() =>
    {
        using var device = new AcceleratorDevice();
        var server = new VfioUserServer(device);
        (UnixSocket serverEnd, UnixSocket clientEnd) = UnixSocket.CreatePair();
        var serving = new Thread(() => server.Serve(serverEnd)) { IsBackground = true };
        serving.Start();
        using (var client = new QemuLikeClient(clientEnd))
        {
            client.Call(VfioUserCommand.Version, RawPeer.Encode(new VersionPayload(0, 0, "{}")));
            client.Call(VfioUserCommand.DmaMap, RawPeer.Encode(new DmaMapRequest(DmaMapFlags.Read | DmaMapFlags.Write, 0, Guest, 0x2000)));
            client.WriteBar0(AcceleratorDevice.RegSource, Guest, 8);
            client.WriteBar0(AcceleratorDevice.RegDestination, Guest + 0x1000, 8);
            client.WriteBar0(AcceleratorDevice.RegLength, 256, 4);
            client.WriteBar0(AcceleratorDevice.RegDoorbell, 1, 4);
        }
        Assert.True(serving.Join(TimeSpan.FromSeconds(10)));
        Assert.True(device.WaitIdle(TimeSpan.FromSeconds(10)));
        Assert.Equal(0u, device.Completed);
    });

    /// <summary>A client in QEMU's manner over <see cref="MessageChannel"/>.</summary>
    private sealed class QemuLikeClient : IDisposable
    {
        private readonly MessageChannel _channel;
        private readonly Queue<ReceivedMessage> _heldDma = new();
        private ushort _nextId = 1;

        public QemuLikeClient(UnixSocket socket)
        {
            _channel = new MessageChannel(socket, MessageChannel.PayloadLimit(1 << 20), 8);
        }

        public byte[] Memory { get; } = new byte[0x2000];

        /// <summary>Sends a command and waits 3 s for its reply, holding back (not answering)
        /// every DMA request that arrives meanwhile, as a blocked vCPU does.</summary>
        public ReceivedMessage Call(VfioUserCommand command, byte[] payload)
        {
            ushort id = _nextId++;
            _channel.SendRaw(RawPeer.Message(id, command, payload));
            DateTime until = DateTime.UtcNow.AddSeconds(3);
            while (true)
            {
                TimeSpan left = until - DateTime.UtcNow;
                Assert.True(left > TimeSpan.Zero && Poller.WaitReadable(_channel.Socket.Handle, left), $"no reply to {command} #{id}: the server waits for DMA before answering");
                ReceivedMessage message = _channel.Receive() ?? throw new VfioUserDisconnectedException("server closed");
                if (message.Header.IsCommand)
                {
                    _heldDma.Enqueue(message);
                    continue;
                }
                Assert.Equal(id, message.Header.MessageId);
                Assert.False(message.Header.IsError, $"{command} failed: {message.Header.Error}");
                return message;
            }
        }

        public void WriteBar0(ulong offset, ulong value, int size)
        {
            byte[] data = new byte[size];
            if (size == 8)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(data, value);
            }
            else
            {
                BinaryPrimitives.WriteUInt32LittleEndian(data, (uint)value);
            }
            Call(VfioUserCommand.RegionWrite, RawPeer.Encode(new RegionAccess(offset, 0, (uint)size, data))).Dispose();
        }

        public uint ReadBar0U32(ulong offset)
        {
            using ReceivedMessage reply = Call(VfioUserCommand.RegionRead, RawPeer.Encode(new RegionAccess(offset, 0, 4, ReadOnlyMemory<byte>.Empty)));
            return BinaryPrimitives.ReadUInt32LittleEndian(reply.Payload[RegionAccess.Length..]);
        }

        /// <summary>Waits for a DMA request to arrive and holds it unanswered.</summary>
        public bool HoldDma(TimeSpan timeout)
        {
            if (_heldDma.Count > 0)
            {
                return true;
            }
            if (!Poller.WaitReadable(_channel.Socket.Handle, timeout))
            {
                return false;
            }
            ReceivedMessage message = _channel.Receive() ?? throw new VfioUserDisconnectedException("server closed");
            Assert.True(message.Header.IsCommand);
            _heldDma.Enqueue(message);
            return true;
        }

        /// <summary>The main loop: answers held and newly arriving DMA requests.</summary>
        public void ServeDma(TimeSpan wait)
        {
            while (_heldDma.Count > 0)
            {
                using ReceivedMessage held = _heldDma.Dequeue();
                Answer(held);
            }
            if (Poller.WaitReadable(_channel.Socket.Handle, wait))
            {
                using ReceivedMessage message = _channel.Receive() ?? throw new VfioUserDisconnectedException("server closed");
                Answer(message);
            }
        }

        public void Dispose()
        {
            while (_heldDma.Count > 0)
            {
                _heldDma.Dequeue().Dispose();
            }
            _channel.Dispose();
        }

        private void Answer(ReceivedMessage request)
        {
            Assert.True(request.Header.IsCommand);
            bool read = request.Header.Command == VfioUserCommand.DmaRead;
            DmaAccess access = DmaAccess.Decode(request.Payload, withData: !read);
            int at = checked((int)(access.Address - Guest));
            DmaAccess reply;
            if (read)
            {
                reply = access with { Data = Memory.AsMemory(at, (int)access.Count).ToArray() };
            }
            else
            {
                access.Data.Span.CopyTo(Memory.AsSpan(at));
                reply = access with { Data = ReadOnlyMemory<byte>.Empty };
            }
            _channel.Send(new MessageHeader(request.Header.MessageId, request.Header.Command, 0, MessageFlags.Reply, 0), reply);
        }
    }
}
