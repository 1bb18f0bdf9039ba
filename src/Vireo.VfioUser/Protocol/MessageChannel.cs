using System.Buffers;
using Vireo.Sys;

namespace Vireo.VfioUser;

/// <summary>
/// vfio-user framing over a UNIX stream socket. Receiving follows libvfio-user's tran_sock.c:
/// recvmsg of exactly the 16-byte header, which is where SCM_RIGHTS fds arrive, then the
/// payload. Sending puts header, payload and fds in one sendmsg. Framing faults (short stream,
/// oversized message, truncated control data) end the connection: after them the stream cannot
/// be trusted to be at a message boundary.
/// </summary>
public sealed class MessageChannel : IDisposable
{
    private readonly UnixSocket _socket;
    private readonly Lock _sendLock = new();

    /// <summary>Room every control message needs whatever max_data_xfer_size a side picked:
    /// the VERSION JSON, region info with its capability chain, IRQ sets, IO_FDS replies.</summary>
    public const int MinControlPayload = 4096;

    /// <summary>The payload limit for a side whose max_data_xfer_size is
    /// <paramref name="maxDataTransferSize"/>: the data plus the region-access header
    /// (libvfio-user's SERVER_MAX_MSG_SIZE), and never less than <see cref="MinControlPayload"/>.</summary>
    public static int PayloadLimit(uint maxDataTransferSize)
        => Math.Max(checked((int)maxDataTransferSize + RegionAccess.Length), MinControlPayload);

    /// <summary>Frames messages on <paramref name="socket"/>, taking ownership of it.</summary>
    /// <param name="socket">A connected stream socket.</param>
    /// <param name="maxPayload">The largest payload accepted (see <see cref="PayloadLimit"/>).</param>
    /// <param name="maxReceiveFds">Descriptors accepted per message.</param>
    public MessageChannel(UnixSocket socket, int maxPayload, int maxReceiveFds)
    {
        _socket = socket;
        MaxPayload = maxPayload;
        MaxReceiveFds = maxReceiveFds;
    }

    /// <summary>The largest payload accepted; a header announcing more drops the connection.</summary>
    public int MaxPayload { get; set; }

    /// <summary>Descriptors accepted per message; more are a framing fault (MSG_CTRUNC).</summary>
    public int MaxReceiveFds { get; set; }

    /// <summary>The socket underneath; owned by the channel.</summary>
    public UnixSocket Socket => _socket;

    /// <summary>How long the rest of a message may take once its first byte arrived; infinite
    /// by default. A peer that stops mid-message is then a framing fault.</summary>
    public TimeSpan PartialMessageTimeout { get; set; } = Timeout.InfiniteTimeSpan;

    /// <summary>Sends one message; the header's size is filled in. Safe to call from several threads.</summary>
    /// <param name="header">The header; its MessageSize is ignored.</param>
    /// <param name="payload">The payload.</param>
    /// <param name="fds">Descriptors to pass with the message (SCM_RIGHTS).</param>
    /// <exception cref="VfioUserDisconnectedException">The send failed; the peer is gone.</exception>
    public void Send(MessageHeader header, IVfioUserPayload payload, ReadOnlySpan<SafeFd> fds = default)
    {
        int length = MessageHeader.Size + payload.EncodedLength;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            Span<byte> span = buffer.AsSpan(0, length);
            (header with { MessageSize = (uint)length }).Write(span);
            payload.Encode(span[MessageHeader.Size..]);
            SendRaw(span, fds);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The most bytes a <see cref="SendWithData{TPayload}(MessageHeader, TPayload, ReadOnlySpan{byte})"/>
    /// fixed part may have (it is built on the stack).</summary>
    public const int MaxFixedPart = 64;

    /// <summary>Sends one message whose payload is a small fixed part followed by bulk data (a
    /// DMA_READ reply, a DMA_WRITE command): the header and fixed part are built on the stack and
    /// the data leaves from where it lies, in the same sendmsg, never copied into a message
    /// buffer. Generic so a struct payload is not boxed. Safe to call from several threads.</summary>
    /// <param name="header">The header; its MessageSize is ignored.</param>
    /// <param name="fixedPart">The payload's fixed part, at most <see cref="MaxFixedPart"/> bytes.</param>
    /// <param name="data">The bytes that follow it.</param>
    /// <exception cref="VfioUserDisconnectedException">The send failed; the peer is gone.</exception>
    public void SendWithData<TPayload>(MessageHeader header, TPayload fixedPart, ReadOnlySpan<byte> data)
        where TPayload : IVfioUserPayload
    {
        int fixedLength = fixedPart.EncodedLength;
        ArgumentOutOfRangeException.ThrowIfGreaterThan(fixedLength, MaxFixedPart, nameof(fixedPart));
        Span<byte> head = stackalloc byte[MessageHeader.Size + MaxFixedPart];
        head = head[..(MessageHeader.Size + fixedLength)];
        (header with { MessageSize = checked((uint)(head.Length + data.Length)) }).Write(head);
        fixedPart.Encode(head[MessageHeader.Size..]);
        SendRaw(head, data);
    }

    /// <summary>Sends bytes as they are (tests and fuzzing send malformed messages this way).</summary>
    public void SendRaw(ReadOnlySpan<byte> bytes, ReadOnlySpan<SafeFd> fds = default) => SendRaw(bytes, default, fds);

    /// <summary>Sends <paramref name="head"/> and then <paramref name="body"/> as one message, in one sendmsg.</summary>
    private void SendRaw(ReadOnlySpan<byte> head, ReadOnlySpan<byte> body, ReadOnlySpan<SafeFd> fds = default)
    {
        try
        {
            lock (_sendLock)
            {
                _socket.Send(head, body, fds);
            }
        }
        catch (ErrnoException e)
        {
            throw new VfioUserDisconnectedException($"send failed: {e.Message}", e);
        }
    }

    /// <summary>Sends an error reply with no payload.</summary>
    /// <param name="messageId">The id of the command being answered.</param>
    /// <param name="command">The command being answered.</param>
    /// <param name="errno">The errno to report.</param>
    public void SendError(ushort messageId, VfioUserCommand command, int errno)
        => Send(new MessageHeader(messageId, command, 0, MessageFlags.Reply | MessageFlags.Error, (uint)errno), default(EmptyPayload));

    /// <summary>Reads one message; null when the peer closed the stream at a message boundary.</summary>
    public ReceivedMessage? Receive()
    {
        var fds = new List<SafeFd>();
        try
        {
            if (!ReceiveHeader(fds, out MessageHeader header, out long deadline))
            {
                return null;
            }
            return ReceiveRest(header, fds, deadline);
        }
        finally
        {
            foreach (SafeFd fd in fds)
            {
                fd.Dispose();
            }
        }
    }

    /// <summary>The first half of <see cref="Receive"/>: one message's header, checked against the
    /// limits, and the descriptors that came with it (appended to <paramref name="fds"/>, which the
    /// caller owns). False when the peer closed the stream at a message boundary. The caller then
    /// reads exactly <see cref="MessageHeader.PayloadSize"/> bytes with <see cref="ReceivePayload"/>,
    /// into a buffer of its choice (a waiting request's, so a reply costs no allocation).</summary>
    internal bool ReceiveHeader(List<SafeFd> fds, out MessageHeader header, out long deadline)
    {
        Span<byte> headerBytes = stackalloc byte[MessageHeader.Size];
        header = default;
        deadline = long.MaxValue;
        int got;
        bool truncated;
        try
        {
            got = _socket.Receive(headerBytes, fds, MaxReceiveFds, out truncated);
        }
        catch (ErrnoException e) when (e.Errno is Errno.ECONNRESET or Errno.EBADF or Errno.EINVAL)
        {
            return false;
        }
        if (got == 0)
        {
            return false;
        }
        if (truncated)
        {
            throw new VfioUserDisconnectedException($"peer sent more than {MaxReceiveFds} descriptors");
        }
        deadline = PartialMessageTimeout == Timeout.InfiniteTimeSpan ? long.MaxValue : Environment.TickCount64 + (long)PartialMessageTimeout.TotalMilliseconds;
        ReadExactly(headerBytes[got..], "header", deadline);
        header = MessageHeader.Read(headerBytes);
        if (header.MessageSize < MessageHeader.Size)
        {
            throw new VfioUserDisconnectedException($"msg_size {header.MessageSize} is smaller than the header");
        }
        if (header.MessageSize - MessageHeader.Size > (uint)MaxPayload)
        {
            throw new VfioUserDisconnectedException($"msg_size {header.MessageSize} exceeds the limit {MaxPayload + MessageHeader.Size}");
        }
        return true;
    }

    /// <summary>The second half of <see cref="Receive"/>: the payload of the header just read.</summary>
    internal void ReceivePayload(Span<byte> payload, long deadline) => ReadExactly(payload, "payload", deadline);

    /// <summary>The second half of <see cref="Receive"/> as a whole message: the payload in an
    /// array of its own (the header was checked against <see cref="MaxPayload"/>) and the
    /// descriptors moved out of <paramref name="fds"/>, which is left empty.</summary>
    /// <param name="header">The header just read.</param>
    /// <param name="fds">The descriptors that came with it.</param>
    /// <param name="deadline">From <see cref="ReceiveHeader"/>.</param>
    /// <param name="pooled">Read the payload into a pooled array instead, which the message gives
    /// back on Dispose (large DMA replies, which would otherwise be a large-object allocation each).</param>
    internal ReceivedMessage ReceiveRest(MessageHeader header, List<SafeFd> fds, long deadline, bool pooled = false)
    {
        if (pooled && header.PayloadSize > 0)
        {
            byte[] rented = ArrayPool<byte>.Shared.Rent(header.PayloadSize);
            try
            {
                ReceivePayload(rented.AsSpan(0, header.PayloadSize), deadline);
            }
            catch
            {
                ArrayPool<byte>.Shared.Return(rented);
                throw;
            }
            var pooledMessage = ReceivedMessage.Pooled(header, rented, header.PayloadSize, [.. fds]);
            fds.Clear();
            return pooledMessage;
        }
        byte[] payload = header.PayloadSize == 0 ? [] : new byte[header.PayloadSize];
        ReceivePayload(payload, deadline);
        var message = new ReceivedMessage(header, payload, [.. fds]);
        fds.Clear();
        return message;
    }

    /// <summary>Reads and drops <paramref name="count"/> payload bytes, so a message refused
    /// part way through its payload still leaves the stream at the next message.</summary>
    internal void SkipPayload(int count, long deadline)
    {
        Span<byte> sink = stackalloc byte[4096];
        while (count > 0)
        {
            int chunk = Math.Min(count, sink.Length);
            ReadExactly(sink[..chunk], "payload", deadline);
            count -= chunk;
        }
    }

    /// <summary>Wakes a thread blocked in <see cref="Receive"/> (it sees end of stream).</summary>
    public void Shutdown() => _socket.Shutdown();

    /// <summary>Closes the socket.</summary>
    public void Dispose() => _socket.Dispose();

    private void ReadExactly(Span<byte> buffer, string what, long deadline)
    {
        while (!buffer.IsEmpty)
        {
            int got;
            bool truncated;
            if (deadline != long.MaxValue)
            {
                long left = Math.Max(deadline - Environment.TickCount64, 0);
                if (!Poller.WaitReadable(_socket.Handle, TimeSpan.FromMilliseconds(left)))
                {
                    throw new VfioUserDisconnectedException($"the peer sent part of a message {what} and nothing more for {PartialMessageTimeout.TotalSeconds:0.###} s");
                }
            }
            try
            {
                // Descriptors are only expected with the header; any arriving later are closed by the kernel.
                got = _socket.Receive(buffer, null, 0, out truncated);
            }
            catch (ErrnoException e)
            {
                throw new VfioUserDisconnectedException($"reading the {what} failed: {e.Message}", e);
            }
            if (got == 0)
            {
                throw new VfioUserDisconnectedException($"peer closed the connection inside a message {what}");
            }
            if (truncated)
            {
                throw new VfioUserDisconnectedException($"descriptors arrived inside a message {what}");
            }
            buffer = buffer[got..];
        }
    }
}
