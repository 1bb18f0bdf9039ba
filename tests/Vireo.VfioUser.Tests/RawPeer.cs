using System.Buffers.Binary;
using Vireo.Sys;

namespace Vireo.VfioUser.Tests;

/// <summary>A hand-driven client end: sends arbitrary bytes to a server thread and reads what
/// comes back, with a deadline on every read.</summary>
internal sealed class RawPeer : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _server;

    public RawPeer(bool negotiate = true, string versionJson = "{}", VfioUserServerOptions? options = null)
    {
        Device = new TestDevice();
        var server = new VfioUserServer(Device, options);
        (UnixSocket serverEnd, UnixSocket clientEnd) = UnixSocket.CreatePair();
        Socket = clientEnd;
        _server = new Thread(() => server.Serve(serverEnd, _stop.Token)) { IsBackground = true };
        _server.Start();
        if (negotiate)
        {
            Send(Message(1, VfioUserCommand.Version, Encode(new VersionPayload(0, 2, versionJson))));
            Assert.False(ReadReply().IsError);
        }
    }

    public TestDevice Device { get; }

    public UnixSocket Socket { get; }

    public static byte[] Message(ushort id, VfioUserCommand command, ReadOnlySpan<byte> payload, MessageFlags flags = MessageFlags.Command, uint? size = null)
    {
        byte[] bytes = new byte[MessageHeader.Size + payload.Length];
        new MessageHeader(id, command, size ?? (uint)bytes.Length, flags, 0).Write(bytes);
        payload.CopyTo(bytes.AsSpan(MessageHeader.Size));
        return bytes;
    }

    public static byte[] Encode(IVfioUserPayload payload)
    {
        byte[] bytes = new byte[payload.EncodedLength];
        payload.Encode(bytes);
        return bytes;
    }

    public void Send(ReadOnlySpan<byte> bytes, ReadOnlySpan<SafeFd> fds = default)
    {
        try
        {
            Socket.Send(bytes, fds);
        }
        catch (ErrnoException)
        {
            // The server may already have hung up: that is an allowed answer.
        }
    }

    /// <summary>The next reply header and its payload; fails after 5 s.</summary>
    public (MessageHeader Header, byte[] Payload) ReadReplyWithPayload()
    {
        byte[] head = new byte[MessageHeader.Size];
        Assert.True(ReadExactly(head, TimeSpan.FromSeconds(5)), "the server closed the connection");
        MessageHeader header = MessageHeader.Read(head);
        byte[] payload = new byte[header.PayloadSize];
        Assert.True(ReadExactly(payload, TimeSpan.FromSeconds(5)), "reply payload cut short");
        return (header, payload);
    }

    /// <summary>The next reply header (payload skipped); fails after 5 s.</summary>
    public MessageHeader ReadReply()
    {
        MessageHeader? header = TryReadReply(TimeSpan.FromSeconds(5));
        Assert.True(header is not null, "the server closed the connection or sent nothing");
        return header.Value;
    }

    /// <summary>Null when the server closed the connection.</summary>
    public MessageHeader? TryReadReply(TimeSpan timeout)
    {
        byte[] head = new byte[MessageHeader.Size];
        if (!ReadExactly(head, timeout))
        {
            return null;
        }
        MessageHeader header = MessageHeader.Read(head);
        byte[] payload = new byte[header.PayloadSize];
        Assert.True(ReadExactly(payload, timeout), "reply payload cut short");
        return header;
    }

    /// <summary>True when the server is still answering: a DEVICE_GET_INFO gets its reply.</summary>
    public bool StillServes()
    {
        Send(Message(0x7777, VfioUserCommand.DeviceGetInfo, Encode(DeviceInfo.Request)));
        MessageHeader? reply = TryReadReply(TimeSpan.FromSeconds(5));
        return reply is { IsError: false, MessageId: 0x7777 };
    }

    public bool ServerEnded(TimeSpan timeout) => _server.Join(timeout);

    public void Dispose()
    {
        Socket.Dispose();
        _stop.Cancel();
        _server.Join(TimeSpan.FromSeconds(5));
        Device.Dispose();
    }

    private bool ReadExactly(Span<byte> buffer, TimeSpan timeout)
    {
        while (!buffer.IsEmpty)
        {
            if (!Poller.WaitReadable(Socket.Handle, timeout))
            {
                throw new TimeoutException("the server did not answer in time");
            }
            int n;
            try
            {
                n = Socket.Receive(buffer, [], 0, out _);
            }
            catch (ErrnoException)
            {
                return false;
            }
            if (n == 0)
            {
                return false;
            }
            buffer = buffer[n..];
        }
        return true;
    }

    public static byte[] U32s(params uint[] values)
    {
        byte[] bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * 4), values[i]);
        }
        return bytes;
    }
}
