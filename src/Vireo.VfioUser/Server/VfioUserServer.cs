using Vireo.Sys;

namespace Vireo.VfioUser;

/// <summary>
/// Serves one device (an <see cref="IVfioUserBackend"/>) to one client at a time: a dispatcher
/// that owns the protocol (framing, negotiation, validation, replies, descriptors, the client's
/// DMA maps and interrupt eventfds) and calls the backend for device behaviour only. A
/// disconnect drops the client's DMA maps and eventfds and keeps the device state;
/// <see cref="Run"/> then accepts the next client. Messages are handled in order on the serving
/// thread.
/// </summary>
public sealed partial class VfioUserServer : IVfioUserBackendContext
{
    // libvfio-user: LIB_VFIO_USER_MAJOR 0, LIB_VFIO_USER_MINOR 2; a client asking a higher minor
    // gets 2, a lower one gets its own.
    /// <summary>The protocol major version served (libvfio-user's LIB_VFIO_USER_MAJOR).</summary>
    public const ushort ProtocolMajor = 0;
    /// <summary>The highest minor version served; a client asking a lower one gets its own.</summary>
    public const ushort ProtocolMinor = 2;

    private readonly IVfioUserBackend _backend;
    private readonly VfioUserServerOptions _options;
    private readonly Lock _lock = new();
    private readonly Queue<ReceivedMessage> _deferred = new();
    private MessageChannel? _channel;
    private MessageChannel? _twin;
    private VfioUserCapabilities _client = new();
    private bool _negotiated;
    private bool _lowPowerNegotiated;
    private ushort _nextMessageId = 0x8000;
    private int _servingThread;
    private bool _clientActive;

    private static readonly TimeSpan s_clientEndGrace = TimeSpan.FromMilliseconds(500);

    /// <summary>A server for <paramref name="backend"/>, attached to it as its context (for a
    /// <see cref="VfioUserPciDevice"/>, behind <see cref="VfioUserPciDevice.Host"/>); nothing
    /// listens until <see cref="Run"/>.</summary>
    /// <param name="backend">The device to serve; one server per device.</param>
    /// <param name="options">Limits and offers; defaults when null.</param>
    public VfioUserServer(IVfioUserBackend backend, VfioUserServerOptions? options = null)
    {
        _backend = backend;
        _options = options ?? new VfioUserServerOptions();
        _irqState = new IrqState(backend, _lock, _options.AcpiQueueCapacity);
        _migration = new MigrationStream(backend);
        _dma = new DmaMaps(_options.MaxDmaMaps);
        _power = new LowPowerState(backend, Log);
        _ioEventFds = new IoEventFdSet(backend.IoEventFds);
        backend.Attach(this);
    }

    /// <summary>The client's announced capabilities (defaults before VERSION).</summary>
    public VfioUserCapabilities ClientCapabilities => _client;

    /// <summary>Listens on <paramref name="socketPath"/> (created with the options' mode, owner
    /// and group) and serves one client at a time until cancelled; each client is served on its
    /// own thread. A client that connects while another is being served is refused: a log line,
    /// and its connection is closed at once (one device, one client, as in libvfio-user).
    /// <paramref name="onListening"/> runs once the socket accepts connections.</summary>
    public void Run(string socketPath, CancellationToken cancellationToken, Action? onListening = null)
    {
        using UnixSocket listener = UnixSocket.Listen(socketPath, UnixSocket.MaxBacklog, _options.SocketAccess);
        using CancellationTokenRegistration registration = cancellationToken.Register(listener.Shutdown);
        onListening?.Invoke();
        Thread? serving = null;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                UnixSocket connection;
                try
                {
                    connection = listener.Accept();
                }
                catch (ErrnoException) when (cancellationToken.IsCancellationRequested)
                {
                    return;
                }
                if (cancellationToken.IsCancellationRequested)
                {
                    connection.Dispose();
                    return;
                }
                // A client that just closed its connection is still being finished off for a
                // moment: give it that moment, so "disconnect, reconnect" is never refused.
                if (Volatile.Read(ref _clientActive) && serving is not null && !serving.Join(s_clientEndGrace))
                {
                    Log("refusing a second client: another client is being served");
                    connection.Dispose();
                    continue;
                }
                // The previous client is gone; its thread is only dropping its resources.
                serving?.Join();
                Volatile.Write(ref _clientActive, true);
                serving = new Thread(() => ServeLogged(connection, cancellationToken)) { Name = "vfio-user client", IsBackground = true };
                serving.Start();
            }
        }
        finally
        {
            serving?.Join();
            File.Delete(socketPath);
        }
    }

    /// <summary>Whether a client is connected now (one <see cref="Run"/> or <see cref="Serve"/> serves), until its
    /// connection has closed and its resources are dropped.</summary>
    public bool ClientConnected => Volatile.Read(ref _clientActive);

    private void ServeLogged(UnixSocket connection, CancellationToken cancellationToken)
    {
        try
        {
            Serve(connection, cancellationToken);
        }
        catch (Exception e)
        {
            // One client's failure must not end the server: it is logged, the next one is served.
            Log($"client ended by an error: {e}");
        }
    }

    /// <summary>Serves one connected client until it disconnects, breaks the framing, or the
    /// token is cancelled; takes ownership of <paramref name="connection"/>.</summary>
    public void Serve(UnixSocket connection, CancellationToken cancellationToken = default)
    {
        Volatile.Write(ref _clientActive, true);
        var channel = new MessageChannel(connection, MaxRequestPayload, _options.MaxMessageFds) { PartialMessageTimeout = _options.PartialMessageTimeout };
        using CancellationTokenRegistration registration = cancellationToken.Register(() =>
        {
            channel.Shutdown();
            _twin?.Shutdown();
        });
        lock (_lock)
        {
            _channel = channel;
            _servingThread = Environment.CurrentManagedThreadId;
            _client = new VfioUserCapabilities();
            _negotiated = false;
            _lowPowerNegotiated = false;
            _irqState.AcpiNegotiated = false;
        }
        _pendingReplies.Open();
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                ReceivedMessage? message = _deferred.Count > 0 ? _deferred.Dequeue() : NextMessage(channel);
                if (message is null)
                {
                    break;
                }
                if (message.Header.IsReply && _pendingReplies.TryDeliver(message))
                {
                    // A device thread's DMA request is answered; it owns the message now.
                    continue;
                }
                using (message)
                {
                    lock (_lock)
                    {
                        if (!Handle(message))
                        {
                            break;
                        }
                    }
                }
            }
        }
        catch (VfioUserDisconnectedException e)
        {
            Log($"connection dropped: {e.Message}");
        }
        finally
        {
            Volatile.Write(ref _clientActive, false);
            _pendingReplies.Close();
            lock (_lock)
            {
                _channel = null;
                // Shut down first: a device thread waiting on the twin for a reply wakes now.
                _twin?.Shutdown();
                _twin?.Dispose();
                _twin = null;
                DropClientResources();
            }
            while (_deferred.Count > 0)
            {
                _deferred.Dequeue().Dispose();
            }
            channel.Dispose();
            _backend.ClientDisconnected();
        }
    }

    /// <summary>Waits for the next client message and, meanwhile, serves the eventfds the server
    /// watches (INTx unmask, ioeventfds), so their callbacks run on this thread like every other
    /// device callback: the thread sleeps in poll(2) on the socket and those eventfds together,
    /// never in a polling loop. Only this thread changes the watched set, so a snapshot per wait
    /// is exact; it is rebuilt only when the set changed, so a wait allocates nothing.</summary>
    private ReceivedMessage? NextMessage(MessageChannel channel)
    {
        while (true)
        {
            Watched watched;
            lock (_lock)
            {
                watched = WatchedEventFds(channel);
            }
            if (watched.Callbacks.Length == 0)
            {
                return ReceiveMessage(channel);
            }
            Poller.WaitAny(watched.Fds, watched.Ready, Timeout.InfiniteTimeSpan);
            for (int i = 0; i < watched.Callbacks.Length; i++)
            {
                if (watched.Ready[i + 1])
                {
                    lock (_lock)
                    {
                        ServeWatched(watched.Callbacks[i].Fd, watched.Callbacks[i].OnSignal);
                    }
                }
            }
            if (watched.Ready[0])
            {
                return ReceiveMessage(channel);
            }
        }
    }

    /// <summary>One message, as <see cref="MessageChannel.Receive"/> reads it, except that a
    /// reply a device thread waits for is read into a pooled buffer: a DMA_READ reply carries up
    /// to max_data_xfer_size bytes, which the thread copies out before the buffer goes back.</summary>
    private ReceivedMessage? ReceiveMessage(MessageChannel channel)
    {
        List<SafeFd> fds = _serveFds;
        try
        {
            if (!channel.ReceiveHeader(fds, out MessageHeader header, out long deadline))
            {
                return null;
            }
            return channel.ReceiveRest(header, fds, deadline, pooled: header.IsReply && _pendingReplies.IsWaiting(header.MessageId));
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

    // Only the serving thread receives on the main channel outside a DMA wait, so one list serves.
    private readonly List<SafeFd> _serveFds = [];

    private Watched? _watched;

    /// <summary>The socket and the watched eventfds as poll(2) takes them, with what each
    /// eventfd's signal does; reused while the set is the same.</summary>
    private sealed record Watched(MessageChannel Channel, EventFd? Unmask, object IoEventFds, int IoEventFdCount, SafeFd[] Fds, bool[] Ready, (EventFd Fd, Action OnSignal)[] Callbacks);

    private Watched WatchedEventFds(MessageChannel channel)
    {
        EventFd? unmask = _irqState.IntxUnmaskFd;
        var ioEventFds = _ioEventFds.Active;
        if (_watched is Watched cached && cached.Channel == channel && cached.Unmask == unmask
            && ReferenceEquals(cached.IoEventFds, ioEventFds) && cached.IoEventFdCount == ioEventFds.Count)
        {
            return cached;
        }
        var callbacks = new List<(EventFd, Action)>();
        AddWatchedIrqFds(callbacks);
        AddWatchedIoEventFds(callbacks);
        var fds = new SafeFd[callbacks.Count + 1];
        fds[0] = channel.Socket.Handle;
        for (int i = 0; i < callbacks.Count; i++)
        {
            fds[i + 1] = callbacks[i].Item1.Handle;
        }
        _watched = new Watched(channel, unmask, ioEventFds, ioEventFds.Count, fds, new bool[fds.Length], [.. callbacks]);
        return _watched;
    }

    private void ServeWatched(EventFd fd, Action onSignal)
    {
        if (fd.Handle.IsClosed)
        {
            // An earlier callback of this round replaced it.
            return;
        }
        try
        {
            if (fd.TryRead() != 0)
            {
                onSignal();
                return;
            }
            // Readable yet nothing to read: not an eventfd (a client could pass any descriptor),
            // and left in the set it would make every poll return at once.
            Log("a watched descriptor is readable but is no eventfd; dropping it");
            ForgetWatched(fd);
        }
        catch (ErrnoException e)
        {
            // A descriptor that cannot be read would make every poll return at once: drop it.
            Log($"watched eventfd failed, dropping it: {e.Message}");
            ForgetWatched(fd);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or OverflowException or IndexOutOfRangeException or VfioUserException)
        {
            Log($"watched eventfd: device failed: {e}");
        }
    }

    private int MaxRequestPayload => MessageChannel.PayloadLimit(_options.MaxDataTransferSize);

    /// <summary>Handles one command; false ends the connection.</summary>
    private bool Handle(ReceivedMessage message)
    {
        MessageHeader header = message.Header;
        if (!header.IsCommand)
        {
            // A reply nobody waits for: answer like libvfio-user's is_valid_header (EINVAL).
            Reply(header, error: Errno.EINVAL);
            return true;
        }
        if (header.PayloadSize == 0 && header.Command != VfioUserCommand.DeviceReset)
        {
            // libvfio-user: a bare header is only valid for DEVICE_RESET.
            Reply(header, error: Errno.EINVAL);
            return true;
        }
        if (!_negotiated && header.Command != VfioUserCommand.Version)
        {
            Reply(header, error: Errno.EINVAL);
            return true;
        }
        try
        {
            (IVfioUserPayload reply, SafeFd[] fds) = Dispatch(message);
            Reply(header, reply, fds);
            return true;
        }
        catch (VfioUserException e)
        {
            Log($"{header.Command} #{header.MessageId}: {e.Message}");
            Reply(header, error: e.Errno);
            // A failed negotiation leaves nothing to talk about: libvfio-user closes too.
            return _negotiated;
        }
        catch (ErrnoException e)
        {
            Log($"{header.Command} #{header.MessageId}: {e.Message}");
            Reply(header, error: e.Errno);
            return true;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or OverflowException or IndexOutOfRangeException)
        {
            // A device callback that rejects an access must not take the server down.
            Log($"{header.Command} #{header.MessageId}: device failed: {e}");
            Reply(header, error: Errno.EIO);
            return true;
        }
        catch (OutOfMemoryException e)
        {
            // Every peer-chosen size is capped before allocation; should one still slip through,
            // the request fails and the server lives on.
            Log($"{header.Command} #{header.MessageId}: {e.Message}");
            Reply(header, error: Errno.ENOMEM);
            return true;
        }
    }

    private (IVfioUserPayload Reply, SafeFd[] Fds) Dispatch(ReceivedMessage message)
    {
        ReadOnlySpan<byte> payload = message.Payload;
        return message.Header.Command switch
        {
            VfioUserCommand.Version => HandleVersion(payload, message.FdCount),
            VfioUserCommand.DmaMap => (HandleDmaMap(message), []),
            VfioUserCommand.DmaUnmap => (HandleDmaUnmap(payload), []),
            VfioUserCommand.DeviceGetInfo => (HandleDeviceInfo(payload), []),
            VfioUserCommand.DeviceGetRegionInfo => HandleRegionInfo(payload),
            VfioUserCommand.DeviceGetRegionIoFds => HandleRegionIoFds(payload),
            VfioUserCommand.DeviceGetIrqInfo => (HandleIrqInfo(payload), []),
            VfioUserCommand.DeviceSetIrqs => (HandleSetIrqs(message), []),
            VfioUserCommand.RegionRead => (HandleRegionRead(payload), []),
            VfioUserCommand.RegionWrite => (HandleRegionWrite(payload), []),
            VfioUserCommand.DeviceReset => (HandleReset(), []),
            VfioUserCommand.RegionWriteMulti => (HandleWriteMulti(payload), []),
            VfioUserCommand.DeviceFeature => (HandleDeviceFeature(message), []),
            VfioUserCommand.MigDataRead => (HandleMigDataRead(payload), []),
            VfioUserCommand.MigDataWrite => (HandleMigDataWrite(payload), []),
            _ => throw new VfioUserException(Errno.EINVAL, $"unsupported command {(ushort)message.Header.Command}"),
        };
    }

    private (IVfioUserPayload, SafeFd[]) HandleVersion(ReadOnlySpan<byte> payload, int fdCount)
    {
        if (_negotiated)
        {
            throw new VfioUserException(Errno.EINVAL, "VERSION after negotiation");
        }
        if (fdCount != 0)
        {
            throw new VfioUserException(Errno.EINVAL, "VERSION carries no descriptors");
        }
        VersionPayload request = VersionPayload.Decode(payload);
        if (request.Major != ProtocolMajor)
        {
            throw new VfioUserException(Errno.EINVAL, $"client major version {request.Major}");
        }
        VfioUserCapabilities client = request.Capabilities is null ? new VfioUserCapabilities() : VfioUserCapabilities.Parse(request.Capabilities);
        _client = client;
        _lowPowerNegotiated = _options.OfferLowPower && client.VireoLowPower == true;
        _irqState.AcpiNegotiated = _options.OfferAcpiNotify && client.VireoAcpiNotify == true;
        _channel!.MaxReceiveFds = _options.MaxMessageFds;
        _negotiated = true;
        // libvfio-user's answer to a client asking twin_socket: supported, fd_index 0, and the
        // client's end of a new socket pair as the reply's only fd. A server not offering it
        // leaves the key out and the client keeps everything on the main socket.
        SafeFd[] fds = [];
        bool twin = _options.OfferTwinSocket && client.TwinSocket == true;
        if (twin)
        {
            (UnixSocket serverEnd, UnixSocket clientEnd) = UnixSocket.CreatePair();
            _twin = new MessageChannel(serverEnd, MaxRequestPayload, 0);
            fds = [clientEnd.Handle];
        }
        var offered = new VfioUserCapabilities
        {
            MaxMessageFds = _options.MaxMessageFds,
            MaxDataTransferSize = _options.MaxDataTransferSize,
            MaxDmaMaps = _options.MaxDmaMaps,
            PageSizes = VfioUserCapabilities.DefaultPageSizes,
            MigrationPageSize = _backend.SupportsMigration ? VfioUserCapabilities.DefaultPageSizes : null,
            WriteMultiple = true,
            VireoLowPower = _lowPowerNegotiated ? true : null,
            VireoAcpiNotify = _irqState.AcpiNegotiated ? true : null,
            TwinSocket = twin ? true : null,
            TwinSocketFdIndex = twin ? 0 : null,
        };
        return (new VersionPayload(ProtocolMajor, Math.Min(request.Minor, ProtocolMinor), offered.ToJson()), fds);
    }

    private IVfioUserPayload HandleReset()
    {
        WakeForAccess();
        _irqState.ResetMasks();
        _backend.Reset();
        EndAccess();
        return default(EmptyPayload);
    }

    private void Reply(MessageHeader request, IVfioUserPayload? payload = null, SafeFd[]? fds = null, int error = 0)
    {
        try
        {
            if (request.NoReply)
            {
                return;
            }
            MessageChannel channel = _channel!;
            if (error != 0)
            {
                channel.SendError(request.MessageId, request.Command, error);
                return;
            }
            var header = new MessageHeader(request.MessageId, request.Command, 0, MessageFlags.Reply, 0);
            channel.Send(header, payload ?? default(EmptyPayload), fds);
        }
        finally
        {
            // Descriptors handed out in a reply are duplicates made for it (sendmsg copies them).
            foreach (SafeFd fd in fds ?? [])
            {
                fd.Dispose();
            }
        }
    }

    private void Log(string text) => _options.Log?.Invoke(text);

    private void DropClientResources()
    {
        DropDmaMaps();
        DropIrqFds();
        DropIoEventFds();
        StopDirtyLog();
        DropLowPowerWake();
        ResetMigrationStreams();
    }
}
