using System.Diagnostics;
using Vireo.Sys;

namespace Vireo.Virtio;

// The host's side: the listening socket, host sockets, deadlines, and the life of a connection.
// Everything here runs under _lock.
public sealed partial class VirtioVsock
{
    private const int AcceptsPerEvent = 16;

    private static ReadOnlySpan<byte> ConnectPrefix => "CONNECT "u8;

    private void AcceptHostPrograms()
    {
        for (int i = 0; i < AcceptsPerEvent; i++)
        {
            UnixSocket? host;
            try
            {
                host = _listener.TryAccept();
            }
            catch (ErrnoException)
            {
                // Out of descriptors or memory: the program waits in the backlog. The listener would
                // stay readable and wake the machine at once, for ever, so it rests until a
                // connection ends or a second has passed.
                Interlocked.Increment(ref _hostHandshakeFailures);
                PauseListener();
                return;
            }
            if (host is null)
            {
                return;
            }
            if (_byToken.Count >= _options.MaxConnections)
            {
                Interlocked.Increment(ref _hostHandshakeFailures);
                host.Dispose();
                continue;
            }
            VsockConnection connection = NewConnection(host);
            connection.State = VsockConnectionState.AwaitingConnectLine;
            connection.Line = new byte[MaxConnectLine];
            SetDeadline(connection, _options.ConnectTimeout);
            UpdateInterest(connection);
        }
    }

    private void PauseListener()
    {
        _epoll.Modify(_listener.Handle, ListenerToken, EpollEvents.None);
        _listenerResumeAt = Stopwatch.GetTimestamp() + Stopwatch.Frequency;
        _deadlinesChanged = true;
    }

    private void ResumeListener()
    {
        if (_listenerResumeAt != 0)
        {
            _listenerResumeAt = 0;
            _deadlinesChanged = true;
            _epoll.Modify(_listener.Handle, ListenerToken, EpollEvents.In);
        }
    }

    private VsockConnection NewConnection(UnixSocket host)
    {
        var connection = new VsockConnection(_nextToken++, host, _options.BufferSize, StagingSize);
        _byToken.Add(connection.Token, connection);
        return connection;
    }

    private void AddPorts(VsockConnection connection, uint localPort, uint peerPort)
    {
        connection.LocalPort = localPort;
        connection.PeerPort = peerPort;
        connection.Keyed = true;
        _byPorts.Add((localPort, peerPort), connection);
        _localPortUse[localPort] = _localPortUse.GetValueOrDefault(localPort) + 1;
    }

    // A host port no live connection uses as its own; there are more candidates than connections,
    // so the walk ends within MaxConnections + 1 steps.
    private uint AllocateHostPort()
    {
        while (true)
        {
            uint port = _nextHostPort;
            // 0xffffffff is VMADDR_PORT_ANY, never a connection's port.
            _nextHostPort = port >= uint.MaxValue - 1 ? FirstHostPort : port + 1;
            if (!_localPortUse.ContainsKey(port))
            {
                return port;
            }
        }
    }

    private void HostReady(VsockConnection connection, EpollEvents events)
    {
        bool hungUp = (events & (EpollEvents.HangUp | EpollEvents.Error)) != 0;
        connection.HostHungUp |= (events & EpollEvents.HangUp) != 0;
        if (connection.State == VsockConnectionState.AwaitingConnectLine)
        {
            ReadConnectLine(connection);
            return;
        }
        (uint forwarded, int staged) = (connection.ForwardCount, connection.ToGuest.Count);
        bool hadReply = connection.Reply is not null && connection.ReplySent < connection.Reply.Length;
        bool wasDone = connection.HostDoneSending;
        if (connection.HasDataForHost && !FlushToHost(connection))
        {
            return;
        }
        if ((connection.Interest & EpollEvents.In) != 0 && !ReadFromHost(connection))
        {
            return;
        }
        bool progressed = connection.ForwardCount != forwarded || connection.ToGuest.Count != staged || connection.HostDoneSending != wasDone
            || (hadReply && connection.ReplySent == connection.Reply!.Length);
        if (hungUp && !progressed)
        {
            // An error or hang-up that neither a read nor a write can act on would be reported
            // again at once, for ever: the stream is over.
            ResetConnection(connection);
            return;
        }
        Settle(connection);
    }

    private void ReadConnectLine(VsockConnection connection)
    {
        byte[] line = connection.Line!;
        int? read;
        try
        {
            read = connection.Host.TryReceive(line.AsSpan(connection.LineLength));
        }
        catch (ErrnoException)
        {
            read = 0;
        }
        if (read is null)
        {
            return;
        }
        if (read == 0)
        {
            DropHostProgram(connection);
            return;
        }
        connection.LineLength += read.Value;
        int newline = line.AsSpan(0, connection.LineLength).IndexOf((byte)'\n');
        if (newline < 0)
        {
            if (connection.LineLength == line.Length)
            {
                DropHostProgram(connection);
            }
            return;
        }
        if (ParseConnectLine(line.AsSpan(0, newline)) is not uint guestPort)
        {
            DropHostProgram(connection);
            return;
        }
        // Bytes the program sent after its line are the stream's first.
        connection.ToGuest.Write(line.AsSpan(newline + 1, connection.LineLength - newline - 1));
        connection.Line = null;
        connection.State = VsockConnectionState.AwaitingResponse;
        AddPorts(connection, AllocateHostPort(), guestPort);
        _control.Enqueue(new ControlPacket(OpRequest, connection.LocalPort, guestPort, 0, connection));
        UpdateInterest(connection);
    }

    // "CONNECT <port>" with the port in decimal, 0 to 4294967295, nothing else.
    private static uint? ParseConnectLine(ReadOnlySpan<byte> line)
    {
        if (!line.StartsWith(ConnectPrefix))
        {
            return null;
        }
        ReadOnlySpan<byte> digits = line[ConnectPrefix.Length..];
        if (digits.IsEmpty || digits.Length > 10)
        {
            return null;
        }
        ulong port = 0;
        foreach (byte digit in digits)
        {
            if (digit is < (byte)'0' or > (byte)'9')
            {
                return null;
            }
            port = (port * 10) + (ulong)(digit - '0');
        }
        return port > uint.MaxValue ? null : (uint)port;
    }

    private void DropHostProgram(VsockConnection connection)
    {
        Interlocked.Increment(ref _hostHandshakeFailures);
        Close(connection);
    }

    // Reads what the guest's credit and the staging room allow. False when the connection ended.
    private bool ReadFromHost(VsockConnection connection)
    {
        int budget = connection.ReadBudget;
        while (budget > 0)
        {
            Span<byte> room = connection.ToGuest.WritableSpan(budget);
            int? read;
            try
            {
                read = connection.Host.TryReceive(room);
            }
            catch (ErrnoException)
            {
                ResetConnection(connection);
                return false;
            }
            if (read is null)
            {
                break;
            }
            if (read == 0)
            {
                connection.HostDoneSending = true;
                // A hang-up with end of stream: the program closed, it reads nothing more either.
                connection.HostDoneReceiving = connection.HostHungUp;
                break;
            }
            connection.ToGuest.Commit(read.Value);
            budget -= read.Value;
        }
        MarkSendable(connection);
        return true;
    }

    // Writes what the host socket takes now: the OK line, then guest data. False when the
    // connection ended (the program no longer reads: the guest's data has nowhere to go).
    private bool FlushToHost(VsockConnection connection)
    {
        try
        {
            if (connection.Reply is byte[] reply)
            {
                while (connection.ReplySent < reply.Length)
                {
                    if (connection.Host.TrySend(reply.AsSpan(connection.ReplySent)) is not int sent)
                    {
                        return UpdateInterest(connection);
                    }
                    connection.ReplySent += sent;
                }
            }
            while (connection.ToHost.Count > 0)
            {
                if (connection.Host.TrySend(connection.ToHost.ReadableSpan()) is not int sent)
                {
                    break;
                }
                connection.ToHost.Consume(sent);
                connection.ForwardCount += (uint)sent;
                Interlocked.Add(ref _txBytes, sent);
            }
        }
        catch (ErrnoException)
        {
            ResetConnection(connection);
            return false;
        }
        // The guest learns about freed room with every packet it gets; when none is going its
        // way, a credit update tells it once a quarter of its window is free again.
        if (connection.ForwardCount - connection.AdvertisedForwardCount >= (uint)_options.BufferSize / 4)
        {
            QueueCreditUpdate(connection);
        }
        return UpdateInterest(connection);
    }

    // Moves a connection on after a change: half-closes, the SHUTDOWN it owes the guest, its end.
    private void Settle(VsockConnection connection)
    {
        if (connection.Closed || connection.State != VsockConnectionState.Established)
        {
            return;
        }
        if (connection.GuestDoneReceiving)
        {
            connection.ToGuest.Clear();
        }
        if (connection.HostDoneReceiving)
        {
            connection.ToHost.Clear();
        }
        if (connection.GuestDoneSending && !connection.HasDataForHost && !connection.HostWriteShut)
        {
            connection.Host.ShutdownWrite();
            connection.HostWriteShut = true;
        }
        uint owed = (connection.HostDoneSending && connection.ToGuest.Count == 0 ? ShutdownSend : 0)
            | (connection.HostDoneReceiving ? ShutdownReceive : 0);
        if ((owed & ~connection.AnnouncedShutdown) != 0)
        {
            connection.AnnouncedShutdown |= owed;
            _control.Enqueue(new ControlPacket(OpShutdown, connection.LocalPort, connection.PeerPort, connection.AnnouncedShutdown, connection));
        }
        if (connection.GuestDoneSending && connection.GuestDoneReceiving)
        {
            if (!connection.HasDataForHost)
            {
                // §5.10.6.5: the guest shut both ways and all its data is out; the RST completes
                // the clean disconnect.
                Interlocked.Increment(ref _connectionsClosed);
                Close(connection);
                QueueReset(connection.LocalPort, connection.PeerPort);
                return;
            }
            SetDeadline(connection, _options.CloseTimeout);
        }
        else if (connection.AnnouncedShutdown == (ShutdownReceive | ShutdownSend))
        {
            // The host is gone both ways: the guest answers with RST, or is reset.
            SetDeadline(connection, _options.CloseTimeout);
        }
        MarkSendable(connection);
        UpdateInterest(connection);
    }

    // Sets what epoll watches the host socket for: input while the guest can take more, output
    // while bytes wait for a full socket; nothing otherwise, so that a socket the device cannot
    // act on never wakes it. False when the connection ended.
    private bool UpdateInterest(VsockConnection connection)
    {
        if (connection.Closed)
        {
            return false;
        }
        EpollEvents wanted = EpollEvents.None;
        switch (connection.State)
        {
            case VsockConnectionState.AwaitingConnectLine:
                wanted = EpollEvents.In;
                break;
            case VsockConnectionState.Established:
                if (!connection.HostDoneSending && !connection.GuestDoneReceiving && connection.ReadBudget > 0)
                {
                    wanted |= EpollEvents.In;
                }
                if (connection.HasDataForHost && !connection.HostDoneReceiving)
                {
                    wanted |= EpollEvents.Out;
                }
                break;
            default:
                break;
        }
        if (wanted == connection.Interest)
        {
            return true;
        }
        try
        {
            if (wanted == EpollEvents.None)
            {
                _epoll.Remove(connection.Host.Handle);
                connection.Registered = false;
            }
            else if (!connection.Registered)
            {
                _epoll.Add(connection.Host.Handle, connection.Token, wanted);
                connection.Registered = true;
            }
            else
            {
                _epoll.Modify(connection.Host.Handle, connection.Token, wanted);
            }
        }
        catch (ErrnoException)
        {
            // ENOMEM or the user's epoll watch limit: a socket the device cannot watch cannot be served.
            ResetConnection(connection);
            return false;
        }
        connection.Interest = wanted;
        return true;
    }

    // Ends a connection with RST to the guest (when it knows of it).
    private void ResetConnection(VsockConnection connection)
    {
        bool guestKnows = connection.Keyed;
        Close(connection);
        Interlocked.Increment(ref _connectionsReset);
        if (guestKnows)
        {
            QueueReset(connection.LocalPort, connection.PeerPort);
        }
    }

    // Forgets a connection and closes its host socket; says nothing to the guest.
    private void Close(VsockConnection connection)
    {
        if (connection.Closed)
        {
            return;
        }
        connection.Closed = true;
        _byToken.Remove(connection.Token);
        if (connection.Keyed)
        {
            _byPorts.Remove((connection.LocalPort, connection.PeerPort));
            int uses = _localPortUse[connection.LocalPort] - 1;
            if (uses == 0)
            {
                _localPortUse.Remove(connection.LocalPort);
            }
            else
            {
                _localPortUse[connection.LocalPort] = uses;
            }
        }
        if (connection.Deadline != 0)
        {
            _deadlinesChanged = true;
        }
        // Closing the descriptor also removes it from the epoll, and frees one for the listener.
        connection.Host.Dispose();
        if (!_disposed)
        {
            ResumeListener();
        }
        connection.ToHost.Clear();
        connection.ToGuest.Clear();
    }

    private void SetDeadline(VsockConnection connection, TimeSpan after)
    {
        if (connection.Deadline == 0)
        {
            connection.Deadline = Stopwatch.GetTimestamp() + (long)Math.Ceiling(after.TotalSeconds * Stopwatch.Frequency);
            _deadlinesChanged = true;
        }
    }

    private void ExpireDeadlines()
    {
        long now = Stopwatch.GetTimestamp();
        if (_listenerResumeAt != 0 && _listenerResumeAt <= now)
        {
            ResumeListener();
        }
        foreach (VsockConnection connection in _byToken.Values.Where(c => c.Deadline != 0 && c.Deadline <= now).ToList())
        {
            switch (connection.State)
            {
                case VsockConnectionState.AwaitingConnectLine:
                    DropHostProgram(connection);
                    break;
                case VsockConnectionState.AwaitingResponse:
                    // The guest may have seen the request: the RST tells it the program is gone.
                    Interlocked.Increment(ref _hostHandshakeFailures);
                    Close(connection);
                    QueueReset(connection.LocalPort, connection.PeerPort);
                    break;
                default:
                    ResetConnection(connection);
                    break;
            }
        }
        _deadlinesChanged = true;
    }

    private void RearmTimerIfChanged()
    {
        if (!_deadlinesChanged || _disposed)
        {
            return;
        }
        _deadlinesChanged = false;
        long next = _listenerResumeAt != 0 ? _listenerResumeAt : long.MaxValue;
        foreach (VsockConnection connection in _byToken.Values)
        {
            if (connection.Deadline != 0 && connection.Deadline < next)
            {
                next = connection.Deadline;
            }
        }
        if (next == long.MaxValue)
        {
            _timer.Disarm();
        }
        else
        {
            _timer.Arm(Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), next));
        }
    }
}
