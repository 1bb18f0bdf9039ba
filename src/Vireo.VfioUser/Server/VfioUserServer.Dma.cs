using System.Buffers.Binary;
using Vireo.Sys;

namespace Vireo.VfioUser;

public sealed partial class VfioUserServer
{
    private readonly DmaMaps _dma;
    private readonly PendingReplies _pendingReplies = new();

    /// <summary>Serialises the exchanges on the twin socket, which each read their own reply:
    /// taken after <see cref="_lock"/> (the serving thread's DMA) or alone (a device thread's,
    /// which never takes <see cref="_lock"/> while holding it).</summary>
    private readonly Lock _twinLock = new();

    // Descriptors that came with a DMA reply (none should); used under _twinLock only.
    private readonly List<SafeFd> _dmaReplyFds = [];

    /// <inheritdoc/>
    public void DmaRead(ulong address, Span<byte> destination)
    {
        List<(ulong Address, int Offset, int Length)>? deferred = null;
        MessageChannel? channel = null;
        MessageChannel? twin = null;
        lock (_lock)
        {
            foreach ((DmaRegion region, ulong at, int offset, int length) in SplitDma(address, destination.Length, deviceReads: true))
            {
                Span<byte> slice = destination.Slice(offset, length);
                if (region.IsMapped)
                {
                    region.Read(at, slice);
                }
                else if (Environment.CurrentManagedThreadId == _servingThread)
                {
                    DmaByMessage(VfioUserCommand.DmaRead, at, slice, []);
                }
                else
                {
                    (deferred ??= []).Add((at, offset, length));
                    channel = _channel;
                    twin = _twin;
                }
            }
        }
        foreach ((ulong at, int offset, int length) in deferred ?? [])
        {
            if (twin is not null)
            {
                DmaByMessageOnTwin(twin, VfioUserCommand.DmaRead, at, destination.Slice(offset, length), []);
            }
            else
            {
                DmaByMessageUnlocked(channel, VfioUserCommand.DmaRead, at, destination.Slice(offset, length), []);
            }
        }
    }

    /// <inheritdoc/>
    public void DmaWrite(ulong address, ReadOnlySpan<byte> source)
    {
        List<(ulong Address, int Offset, int Length)>? deferred = null;
        MessageChannel? channel = null;
        MessageChannel? twin = null;
        lock (_lock)
        {
            List<(DmaRegion Region, ulong Address, int Offset, int Length)> pieces = SplitDma(address, source.Length, deviceReads: false);
            // Logged before the bytes move: a write that fails half way is still reported.
            MarkDmaWritten(address, source.Length);
            foreach ((DmaRegion region, ulong at, int offset, int length) in pieces)
            {
                ReadOnlySpan<byte> slice = source.Slice(offset, length);
                if (region.IsMapped)
                {
                    region.Write(at, slice);
                }
                else if (Environment.CurrentManagedThreadId == _servingThread)
                {
                    DmaByMessage(VfioUserCommand.DmaWrite, at, [], slice);
                }
                else
                {
                    (deferred ??= []).Add((at, offset, length));
                    channel = _channel;
                    twin = _twin;
                }
            }
        }
        foreach ((ulong at, int offset, int length) in deferred ?? [])
        {
            if (twin is not null)
            {
                DmaByMessageOnTwin(twin, VfioUserCommand.DmaWrite, at, [], source.Slice(offset, length));
            }
            else
            {
                DmaByMessageUnlocked(channel, VfioUserCommand.DmaWrite, at, [], source.Slice(offset, length));
            }
        }
    }

    /// <summary>DMA_READ/DMA_WRITE from a device thread on the twin socket: the thread waits
    /// for its own reply there (nothing else travels on it), holding only
    /// <see cref="_twinLock"/>, so the serving thread goes on answering the client meanwhile —
    /// a driver polling for completion is not stalled behind the copy, nor the copy behind it.
    /// Failures are this request's, never the device thread's end.</summary>
    private void DmaByMessageOnTwin(MessageChannel twin, VfioUserCommand command, ulong address, Span<byte> destination, ReadOnlySpan<byte> source)
    {
        int total = command == VfioUserCommand.DmaRead ? destination.Length : source.Length;
        int step = MessageDmaStep;
        for (int done = 0; done < total; done += step)
        {
            int length = Math.Min(step, total - done);
            ulong at = address + (ulong)done;
            ushort id;
            lock (_lock)
            {
                id = _nextMessageId++;
            }
            try
            {
                lock (_twinLock)
                {
                    twin.SendWithData(new MessageHeader(id, command, 0, MessageFlags.Command, 0), new DmaAccess(at, (ulong)length, ReadOnlyMemory<byte>.Empty), command == VfioUserCommand.DmaWrite ? source.Slice(done, length) : []);
                    AwaitDmaReply(twin, id, command, at, length, command == VfioUserCommand.DmaRead ? destination.Slice(done, length) : []);
                }
            }
            catch (ObjectDisposedException)
            {
                // The client left and its connection was closed under this request.
                throw new VfioUserDisconnectedException($"client left while {command} at {at:x} was outstanding");
            }
        }
    }

    /// <summary>DMA_READ/DMA_WRITE from a device thread, outside the lock: the serving thread goes
    /// on serving client commands and delivers the reply through <see cref="_pendingReplies"/>.
    /// Failures are this request's (VfioUserException), never the device thread's end.</summary>
    private void DmaByMessageUnlocked(MessageChannel? channel, VfioUserCommand command, ulong address, Span<byte> destination, ReadOnlySpan<byte> source)
    {
        if (channel is null)
        {
            throw new VfioUserException(Errno.EFAULT, "no client for DMA");
        }
        // Reads fill destination, writes send source (sliced, never copied again here).
        int total = command == VfioUserCommand.DmaRead ? destination.Length : source.Length;
        int step = MessageDmaStep;
        for (int done = 0; done < total; done += step)
        {
            int length = Math.Min(step, total - done);
            ulong at = address + (ulong)done;
            ushort id;
            lock (_lock)
            {
                id = _nextMessageId++;
            }
            using PendingReply waiter = _pendingReplies.Register(id, command) ?? throw new VfioUserException(Errno.EIO, $"client gone before {command} at {at:x}");
            try
            {
                var request = new DmaAccess(at, (ulong)length, ReadOnlyMemory<byte>.Empty);
                channel.SendWithData(new MessageHeader(id, command, 0, MessageFlags.Command, 0), request, command == VfioUserCommand.DmaWrite ? source.Slice(done, length) : []);
            }
            catch (VfioUserDisconnectedException e)
            {
                _pendingReplies.Forget(waiter);
                throw new VfioUserException(Errno.EIO, $"{command} at {at:x}: {e.Message}");
            }
            using ReceivedMessage reply = waiter.Wait(_options.DmaReplyTimeout)
                ?? throw new VfioUserException(Errno.EIO, $"no reply to {command} at {at:x} within {_options.DmaReplyTimeout} or the client left");
            _pendingReplies.Forget(waiter);
            CheckDmaReply(reply, command, at, length, command == VfioUserCommand.DmaRead ? destination[done..] : []);
        }
    }

    private int MessageDmaStep => (int)Math.Min(Math.Min(_client.EffectiveMaxDataTransferSize, _options.MaxDataTransferSize), int.MaxValue / 2);

    /// <summary>Checks a DMA reply and copies a read's data straight from the received (pooled) payload.</summary>
    private static void CheckDmaReply(ReceivedMessage reply, VfioUserCommand command, ulong at, int length, Span<byte> destination)
    {
        if (reply.Header.IsError)
        {
            throw new VfioUserException((int)reply.Header.Error, $"client refused {command} at {at:x}");
        }
        ReadOnlySpan<byte> payload = reply.Body;
        int expected = DmaAccess.Length + (command == VfioUserCommand.DmaRead ? length : 0);
        // A read's reply carries exactly the data; a write's extra bytes are ignored, as before.
        if (command == VfioUserCommand.DmaRead ? payload.Length != expected : payload.Length < expected)
        {
            throw new VfioUserException(Errno.EIO, $"{command} reply of {payload.Length} bytes, {expected} expected");
        }
        ulong address = BinaryPrimitives.ReadUInt64LittleEndian(payload);
        ulong count = BinaryPrimitives.ReadUInt64LittleEndian(payload[8..]);
        if (address != at || count != (ulong)length)
        {
            throw new VfioUserException(Errno.EIO, $"{command} reply for {address:x}+{count} does not match");
        }
        if (command == VfioUserCommand.DmaRead)
        {
            payload[DmaAccess.Length..].CopyTo(destination);
        }
    }

    private List<(DmaRegion Region, ulong Address, int Offset, int Length)> SplitDma(ulong address, int length, bool deviceReads)
        => _dma.Split(address, length, deviceReads);

    private IVfioUserPayload HandleDmaMap(ReceivedMessage message)
    {
        DmaMapRequest request = DmaMapRequest.Decode(message.Payload);
        if (message.FdCount > 1)
        {
            throw new VfioUserException(Errno.EINVAL, $"DMA_MAP with {message.FdCount} fds");
        }
        _dma.Map(request, message.FdCount == 1 ? message.TakeFd(0) : null);
        return default(EmptyPayload);
    }

    private IVfioUserPayload HandleDmaUnmap(ReadOnlySpan<byte> payload)
    {
        DmaUnmapRequest request = DmaUnmapRequest.Decode(payload);
        _dma.Unmap(request);
        return request;
    }

    private void DropDmaMaps() => _dma.Clear();

    /// <summary>DMA_READ/DMA_WRITE from the serving thread (a device callback, under the lock) to
    /// the client, waiting here for each reply, in pieces of the client's max_data_xfer_size. A write's data goes from <paramref name="source"/> into the
    /// socket and a read's reply data from the socket into <paramref name="destination"/>, with
    /// no buffer in between. Client commands that arrive meanwhile are kept for later, in order;
    /// replies for device threads' requests are handed to them.</summary>
    private void DmaByMessage(VfioUserCommand command, ulong address, Span<byte> destination, ReadOnlySpan<byte> source)
    {
        MessageChannel channel = _twin ?? _channel ?? throw new VfioUserException(Errno.EFAULT, "no client for DMA");
        // A device thread may be in an exchange on the twin: wait for it, as its reply comes first.
        lock (_twinLock)
        {
            DmaByMessage(channel, command, address, destination, source);
        }
    }

    private void DmaByMessage(MessageChannel channel, VfioUserCommand command, ulong address, Span<byte> destination, ReadOnlySpan<byte> source)
    {
        int total = command == VfioUserCommand.DmaRead ? destination.Length : source.Length;
        int step = MessageDmaStep;
        for (int done = 0; done < total; done += step)
        {
            int length = Math.Min(step, total - done);
            ulong at = address + (ulong)done;
            ushort id = _nextMessageId++;
            var request = new DmaAccess(at, (ulong)length, ReadOnlyMemory<byte>.Empty);
            channel.SendWithData(new MessageHeader(id, command, 0, MessageFlags.Command, 0), request, command == VfioUserCommand.DmaWrite ? source.Slice(done, length) : []);
            AwaitDmaReply(channel, id, command, at, length, command == VfioUserCommand.DmaRead ? destination.Slice(done, length) : []);
        }
    }

    /// <summary>Reads messages until the reply to request <paramref name="id"/>, whose payload is
    /// read in place (see <see cref="ReadDmaReply"/>); anything else is read whole and kept,
    /// delivered or refused as before.</summary>
    private void AwaitDmaReply(MessageChannel channel, ushort id, VfioUserCommand command, ulong at, int length, Span<byte> destination)
    {
        List<SafeFd> fds = _dmaReplyFds;
        try
        {
            while (true)
            {
                if (!Poller.WaitReadable(channel.Socket.Handle, _options.DmaReplyTimeout))
                {
                    throw new VfioUserDisconnectedException($"no reply to {command} within {_options.DmaReplyTimeout}");
                }
                if (!channel.ReceiveHeader(fds, out MessageHeader header, out long deadline))
                {
                    throw new VfioUserDisconnectedException($"client left while {command} was outstanding");
                }
                if (header.IsReply && header.MessageId == id && header.Command == command)
                {
                    // A DMA reply carries no descriptors; any that came are closed (finally).
                    ReadDmaReply(channel, header, deadline, at, length, destination);
                    return;
                }
                ReceivedMessage message = channel.ReceiveRest(header, fds, deadline, pooled: header.IsReply && _pendingReplies.IsWaiting(header.MessageId));
                if (message.Header.IsReply && _pendingReplies.TryDeliver(message))
                {
                    continue;
                }
                if (channel == _channel && message.Header.IsCommand && _deferred.Count < _options.MaxDeferredCommands)
                {
                    _deferred.Enqueue(message);
                    continue;
                }
                message.Dispose();
                throw new VfioUserDisconnectedException($"unexpected message while waiting for the {command} reply");
            }
        }
        finally
        {
            foreach (SafeFd fd in fds)
            {
                fd.Dispose();
            }
            fds.Clear();
        }
    }

    /// <summary>The payload of a DMA reply whose header was just read, checked as
    /// <see cref="CheckDmaReply"/> checks a whole one, with a read's data received straight into
    /// <paramref name="destination"/>. A refused reply is still read to its end, so the stream
    /// stays at a message boundary and the failure is this request's alone.</summary>
    private static void ReadDmaReply(MessageChannel channel, MessageHeader header, long deadline, ulong at, int length, Span<byte> destination)
    {
        VfioUserCommand command = header.Command;
        int payloadSize = header.PayloadSize;
        if (header.IsError)
        {
            channel.SkipPayload(payloadSize, deadline);
            throw new VfioUserException((int)header.Error, $"client refused {command} at {at:x}");
        }
        bool read = command == VfioUserCommand.DmaRead;
        int expected = DmaAccess.Length + (read ? length : 0);
        // A read's reply carries exactly the data; a write's extra bytes are ignored, as before.
        if (read ? payloadSize != expected : payloadSize < expected)
        {
            channel.SkipPayload(payloadSize, deadline);
            throw new VfioUserException(Errno.EIO, $"{command} reply of {payloadSize} bytes, {expected} expected");
        }
        Span<byte> fixedPart = stackalloc byte[DmaAccess.Length];
        channel.ReceivePayload(fixedPart, deadline);
        DmaAccess answer = DmaAccess.Decode(fixedPart, withData: false);
        if (answer.Address != at || answer.Count != (ulong)length)
        {
            channel.SkipPayload(payloadSize - DmaAccess.Length, deadline);
            throw new VfioUserException(Errno.EIO, $"{command} reply for {answer.Address:x}+{answer.Count} does not match");
        }
        if (read)
        {
            channel.ReceivePayload(destination[..length], deadline);
        }
        else
        {
            channel.SkipPayload(payloadSize - DmaAccess.Length, deadline);
        }
    }
}
