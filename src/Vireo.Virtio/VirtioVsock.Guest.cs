using System.Runtime.InteropServices;
using Vireo.Memory;
using Vireo.Sys;

namespace Vireo.Virtio;

// The guest's side: packets from tx, packets into rx, events. Everything here runs under _lock.
public sealed partial class VirtioVsock
{
    private void Transmit(SplitVirtqueue queue, GuestMemory memory)
    {
        while (true)
        {
            // §5.10.6.1: replies the guest has no rx buffers for wait outside the rings; past a
            // bound the device stops taking packets that could add to them.
            if (_control.Count >= MaxPendingReplies)
            {
                _txStalled = true;
                break;
            }
            if (queue.Pop() is not DescriptorChain chain)
            {
                break;
            }
            if (chain.Buffers[^1].Writable)
            {
                throw new VirtqueueException($"vsock tx chain from head {chain.Head} has a device-writable buffer (§5.10.6.4)");
            }
            Interlocked.Increment(ref _txPackets);
            HandleGuestPacket(chain, memory);
            queue.PushUsed(chain.Head, 0);
        }
        if (_control.Count > 0 || _sendQueue.Count > 0)
        {
            // The replies go out when rx is served: the machine learns it from PollHandle.
            _doorbell.Signal();
        }
    }

    private void HandleGuestPacket(DescriptorChain chain, GuestMemory memory)
    {
        if (chain.ReadableLength < VirtioVsockHeader.Size)
        {
            Interlocked.Increment(ref _errors);
            return;
        }
        var cursor = new ChainCursor(chain.Buffers, 0, chain.Buffers.Count, memory);
        VirtioVsockHeader header = default;
        cursor.Read(MemoryMarshal.AsBytes(new Span<VirtioVsockHeader>(ref header)));
        if (header.SourceCid != GuestCid || header.DestinationCid != HostCid)
        {
            // Not this guest's or not for the host: nothing to answer (an RST would go to a CID
            // that is not there).
            Interlocked.Increment(ref _errors);
            return;
        }
        _byPorts.TryGetValue((header.DestinationPort, header.SourcePort), out VsockConnection? connection);
        if (header.Length > chain.ReadableLength - VirtioVsockHeader.Size
            || header.Type != TypeStream
            || header.Op is OpInvalid or > OpCreditRequest)
        {
            Interlocked.Increment(ref _errors);
            Refuse(header, connection);
            return;
        }
        if (header.Op == OpRequest)
        {
            if (connection is not null)
            {
                // A second request for a live stream: the guest and the device disagree on it.
                Interlocked.Increment(ref _errors);
                ResetConnection(connection);
                return;
            }
            ConnectGuestToHost(header);
            return;
        }
        if (connection is null)
        {
            if (header.Op != OpReset)
            {
                QueueReset(header.DestinationPort, header.SourcePort);
            }
            return;
        }
        // §5.10.6.3: every packet carries the sender's credit state.
        connection.PeerBufferAlloc = header.BufferAlloc;
        connection.PeerForwardCount = header.ForwardCount;
        switch (header.Op)
        {
            case OpResponse:
                if (connection.State != VsockConnectionState.AwaitingResponse)
                {
                    Interlocked.Increment(ref _errors);
                    ResetConnection(connection);
                    return;
                }
                Establish(connection);
                break;
            case OpReset:
                if (connection.State == VsockConnectionState.AwaitingResponse)
                {
                    // Nothing listens on that guest port.
                    Interlocked.Increment(ref _connectFailures);
                }
                else if (connection.AnnouncedShutdown == (ShutdownReceive | ShutdownSend))
                {
                    // The answer to the host's full shutdown: a clean disconnect (§5.10.6.5).
                    Interlocked.Increment(ref _connectionsClosed);
                }
                else
                {
                    Interlocked.Increment(ref _connectionsReset);
                }
                Close(connection);
                return;
            case OpShutdown:
                if (connection.State != VsockConnectionState.Established)
                {
                    Interlocked.Increment(ref _errors);
                    ResetConnection(connection);
                    return;
                }
                connection.GuestDoneReceiving |= (header.Flags & ShutdownReceive) != 0;
                connection.GuestDoneSending |= (header.Flags & ShutdownSend) != 0;
                break;
            case OpReadWrite:
                if (!TakeGuestData(connection, header, cursor))
                {
                    return;
                }
                break;
            case OpCreditRequest:
                if (connection.State == VsockConnectionState.Established)
                {
                    QueueCreditUpdate(connection);
                }
                break;
            default:
                // OpCreditUpdate: the state is taken above.
                break;
        }
        Settle(connection);
    }

    // An RW packet's payload goes to the host socket, or waits in the connection's buffer, whose
    // room is exactly the credit the guest was given.
    private bool TakeGuestData(VsockConnection connection, VirtioVsockHeader header, ChainCursor cursor)
    {
        if (connection.State != VsockConnectionState.Established || header.Length > connection.ToHost.Free)
        {
            // Data before the handshake ended, or more than the credit allows (§5.10.6.3).
            Interlocked.Increment(ref _errors);
            ResetConnection(connection);
            return false;
        }
        if (connection.GuestDoneSending)
        {
            // Data after its own SEND shutdown: nobody takes these bytes.
            Interlocked.Increment(ref _errors);
            return true;
        }
        if (connection.HostDoneReceiving)
        {
            // Sent before the guest saw the host's RCV shutdown: the program is gone.
            return true;
        }
        int left = (int)header.Length;
        while (left > 0)
        {
            Span<byte> room = connection.ToHost.WritableSpan(left);
            cursor.Read(room);
            connection.ToHost.Commit(room.Length);
            left -= room.Length;
        }
        return FlushToHost(connection);
    }

    private void ConnectGuestToHost(VirtioVsockHeader header)
    {
        uint port = header.DestinationPort;
        if (_byToken.Count >= _options.MaxConnections)
        {
            Interlocked.Increment(ref _connectFailures);
            QueueReset(port, header.SourcePort);
            return;
        }
        UnixSocket host;
        try
        {
            host = UnixSocket.ConnectNonBlocking($"{SocketPath}_{port}");
        }
        catch (Exception e) when (e is ErrnoException or ArgumentException)
        {
            // No socket, nobody listening, a full backlog, or a path too long for sockaddr_un.
            Interlocked.Increment(ref _connectFailures);
            QueueReset(port, header.SourcePort);
            return;
        }
        VsockConnection connection = NewConnection(host);
        connection.PeerBufferAlloc = header.BufferAlloc;
        connection.PeerForwardCount = header.ForwardCount;
        AddPorts(connection, port, header.SourcePort);
        _control.Enqueue(new ControlPacket(OpResponse, port, header.SourcePort, 0, connection));
        Interlocked.Increment(ref _connectionsOpened);
        UpdateInterest(connection);
    }

    // The guest accepted a host program's connection: the program hears "OK port" first.
    private void Establish(VsockConnection connection)
    {
        connection.State = VsockConnectionState.Established;
        connection.Deadline = 0;
        _deadlinesChanged = true;
        connection.Reply = System.Text.Encoding.ASCII.GetBytes($"OK {connection.LocalPort}\n");
        Interlocked.Increment(ref _connectionsOpened);
        if (FlushToHost(connection))
        {
            MarkSendable(connection);
        }
    }

    // A packet the device cannot take: the connection it names (if any) is reset, or the sender
    // is told there is none.
    private void Refuse(VirtioVsockHeader header, VsockConnection? connection)
    {
        if (connection is not null)
        {
            ResetConnection(connection);
        }
        else if (header.Op != OpReset)
        {
            QueueReset(header.DestinationPort, header.SourcePort);
        }
    }

    private void Receive(SplitVirtqueue queue, GuestMemory memory)
    {
        while (true)
        {
            bool control = HasControlPacket();
            VsockConnection? data = null;
            if (!control)
            {
                data = NextSendable();
                if (data is null)
                {
                    break;
                }
            }
            if (queue.Pop() is not DescriptorChain chain)
            {
                break;
            }
            if (!chain.Buffers[0].Writable)
            {
                throw new VirtqueueException($"vsock rx chain from head {chain.Head} has a device-readable buffer (§5.10.6.4)");
            }
            if (chain.WritableLength < VirtioVsockHeader.Size)
            {
                // Too small for any packet: handed back empty (Linux drops such a buffer).
                Interlocked.Increment(ref _errors);
                queue.PushUsed(chain.Head, 0);
                continue;
            }
            var cursor = new ChainCursor(chain.Buffers, 0, chain.Buffers.Count, memory);
            uint written = control
                ? WriteControlPacket(_control.Dequeue(), cursor)
                : WriteDataPacket(data!, cursor, (int)Math.Min((ulong)ChunkSize, chain.WritableLength - VirtioVsockHeader.Size));
            Interlocked.Increment(ref _rxPackets);
            queue.PushUsed(chain.Head, written);
        }
        if (_txStalled && _control.Count < MaxPendingReplies)
        {
            // Room for replies again: the machine serves tx when it next polls.
            _doorbell.Signal();
        }
    }

    // Drops control packets for connections that ended since (an RST still goes out).
    private bool HasControlPacket()
    {
        while (_control.TryPeek(out ControlPacket packet))
        {
            if (packet.Connection is not { Closed: true } || packet.Op == OpReset)
            {
                return true;
            }
            _control.Dequeue();
        }
        return false;
    }

    // The connection whose turn it is to send data, dropping entries that have nothing to send.
    private VsockConnection? NextSendable()
    {
        while (_sendQueue.TryPeek(out VsockConnection? connection))
        {
            if (!connection.Closed && connection.HasDataForGuest)
            {
                return connection;
            }
            _sendQueue.Dequeue();
            connection.InSendQueue = false;
        }
        return null;
    }

    private uint WriteControlPacket(ControlPacket packet, ChainCursor cursor)
    {
        VsockConnection? connection = packet.Connection;
        VirtioVsockHeader header = Header(packet.Op, packet.LocalPort, packet.PeerPort, connection);
        header.Flags = packet.Flags;
        if (connection is not null)
        {
            connection.CreditUpdateQueued &= packet.Op != OpCreditUpdate;
        }
        cursor.Write(MemoryMarshal.AsBytes(new ReadOnlySpan<VirtioVsockHeader>(in header)));
        return VirtioVsockHeader.Size;
    }

    private uint WriteDataPacket(VsockConnection connection, ChainCursor cursor, int room)
    {
        // Round robin: the connection goes to the back, or leaves when it has nothing more.
        _sendQueue.Dequeue();
        int length = (int)Math.Min(Math.Min((uint)connection.ToGuest.Count, connection.PeerCredit), (uint)room);
        VirtioVsockHeader header = Header(OpReadWrite, connection.LocalPort, connection.PeerPort, connection);
        header.Length = (uint)length;
        cursor.Write(MemoryMarshal.AsBytes(new ReadOnlySpan<VirtioVsockHeader>(in header)));
        connection.ToGuest.Peek(_chunk.AsSpan(0, length));
        cursor.Write(_chunk.AsSpan(0, length));
        connection.ToGuest.Consume(length);
        connection.SentToGuest += (uint)length;
        Interlocked.Add(ref _rxBytes, length);
        if (connection.HasDataForGuest)
        {
            _sendQueue.Enqueue(connection);
        }
        else
        {
            connection.InSendQueue = false;
        }
        Settle(connection);
        return (uint)(VirtioVsockHeader.Size + length);
    }

    // A packet from the host to the guest on this connection, with the device's credit state for it.
    private VirtioVsockHeader Header(ushort op, uint localPort, uint peerPort, VsockConnection? connection)
    {
        var header = new VirtioVsockHeader
        {
            SourceCid = HostCid,
            DestinationCid = GuestCid,
            SourcePort = localPort,
            DestinationPort = peerPort,
            Type = TypeStream,
            Op = op,
        };
        if (connection is not null && op != OpReset)
        {
            header.BufferAlloc = (uint)_options.BufferSize;
            header.ForwardCount = connection.ForwardCount;
            connection.AdvertisedForwardCount = connection.ForwardCount;
        }
        return header;
    }

    private void DeliverEvent(SplitVirtqueue queue, GuestMemory memory)
    {
        while (_eventPending && queue.Pop() is DescriptorChain chain)
        {
            if (!chain.Buffers[0].Writable)
            {
                throw new VirtqueueException($"vsock event chain from head {chain.Head} has a device-readable buffer (§5.10.6.7)");
            }
            if (chain.WritableLength < VirtioVsockEvent.Size)
            {
                Interlocked.Increment(ref _errors);
                queue.PushUsed(chain.Head, 0);
                continue;
            }
            var vsockEvent = new VirtioVsockEvent { Id = VirtioVsockEvent.TransportReset };
            new ChainCursor(chain.Buffers, 0, chain.Buffers.Count, memory).Write(MemoryMarshal.AsBytes(new ReadOnlySpan<VirtioVsockEvent>(in vsockEvent)));
            queue.PushUsed(chain.Head, VirtioVsockEvent.Size);
            _eventPending = false;
        }
    }

    private void QueueReset(uint localPort, uint peerPort) => _control.Enqueue(new ControlPacket(OpReset, localPort, peerPort, 0, null));

    private void QueueCreditUpdate(VsockConnection connection)
    {
        if (!connection.CreditUpdateQueued)
        {
            connection.CreditUpdateQueued = true;
            _control.Enqueue(new ControlPacket(OpCreditUpdate, connection.LocalPort, connection.PeerPort, 0, connection));
        }
    }

    private void MarkSendable(VsockConnection connection)
    {
        if (!connection.InSendQueue && connection.HasDataForGuest)
        {
            connection.InSendQueue = true;
            _sendQueue.Enqueue(connection);
        }
    }
}
