using Vireo.Memory;
using Vireo.Pci;
using Vireo.Sys;

namespace Vireo.Virtio;

/// <summary>
/// The socket device (virtio 1.2 §5.10), stream sockets only (VIRTIO_VSOCK_F_SEQPACKET is not
/// offered), bridged to UNIX sockets on the host the way Firecracker documents its vsock:
/// <list type="bullet">
/// <item>Host to guest: the device listens on a UNIX socket at <see cref="SocketPath"/>. A host
/// program connects and writes <c>CONNECT &lt;port&gt;\n</c>; the device gives the connection a host
/// port of its own (from <see cref="FirstHostPort"/> up, unique among live connections) and sends the
/// guest OP_REQUEST for that port. When the guest answers OP_RESPONSE the program reads
/// <c>OK &lt;hostport&gt;\n</c> and from then on the socket carries the stream; when the guest answers
/// OP_RST (nothing listens) the socket is closed. A malformed or over-long line, end of stream
/// before it, or no accepted connection within <see cref="VirtioVsockOptions.ConnectTimeout"/>
/// closes that socket alone.</item>
/// <item>Guest to host: OP_REQUEST to CID 2 port P connects to the UNIX socket
/// <c>SocketPath_P</c>; the guest gets OP_RESPONSE, or OP_RST when nothing listens there.</item>
/// </list>
/// Both directions follow the credit rules of §5.10.6.3: the guest is never sent more than its
/// buf_alloc allows, and the device advertises <see cref="VirtioVsockOptions.BufferSize"/> bytes per
/// connection, which bounds what it holds for a host socket that does not read (fwd_cnt moves only
/// as the host takes bytes, so a guest that respects credit stops; one that does not is reset).
/// OP_SHUTDOWN half-closes (the guest's SEND shuts the host socket's writing side once its data is
/// out; the host's end of stream becomes SHUTDOWN with SEND); a connection whose both sides are done
/// ends with OP_RST, as §5.10.6.5 describes a clean disconnect.
/// </summary>
/// <remarks>
/// <para>Threads and locks: the device owns its host sockets (all non-blocking: no call here ever
/// waits for a host program) and serialises everything under its own lock. The transport calls the
/// <see cref="IVirtioDevice"/> members under the transport's lock, so the order is transport, then
/// device; the device never calls the transport. <see cref="ProcessHostEvents"/>,
/// <see cref="TransportReset"/>, <see cref="ReadCounters"/> and <see cref="Dispose"/> may be called
/// from any thread that does not hold the transport's lock.</para>
/// <para>Integration: <see cref="PollHandle"/> is one epoll descriptor, owned by the device, that
/// turns readable whenever the device has host work: the listening socket, every connection's
/// socket (the set changes as connections come and go, inside the device), a timer for the deadlines
/// and a doorbell the device rings when serving tx produced replies. The machine adds it to its own
/// epoll (the <c>virtio-NAME</c> worker's) for input and, when it is readable, calls
/// <see cref="ProcessHostEvents"/> (no lock held), then the transport's
/// <see cref="VirtioPciFunction.NotifyQueue"/> for each queue in the returned
/// <see cref="VirtioVsockWork"/>. Packets for the guest wait in the device until the rx queue is
/// served; a guest that posts rx buffers notifies the rx queue itself, which serves them. A
/// snapshot restore calls <see cref="TransportReset"/> and then notifies the event queue. The
/// worker's step, when <see cref="PollHandle"/> is readable:
/// <code>
/// VirtioVsockWork work = vsock.ProcessHostEvents();
/// if ((work &amp; VirtioVsockWork.Transmit) != 0) transport.NotifyQueue(VirtioVsock.TxQueue);
/// if ((work &amp; VirtioVsockWork.Receive) != 0) transport.NotifyQueue(VirtioVsock.RxQueue);
/// if ((work &amp; VirtioVsockWork.Event) != 0) transport.NotifyQueue(VirtioVsock.EventQueue);
/// </code>
/// The device outlives machines like a disk does (its listening socket stays across driver resets
/// and reboots); <see cref="Dispose"/> it with the VMM.</para>
/// <para>Hostile input: a packet shorter than its header, or from a CID other than the guest's (or to
/// one other than the host's), is counted in <c>errors</c> and dropped unanswered (an RST would go to
/// a CID that is not there). One with a len beyond its chain, a type other than stream or an unknown
/// op is counted too, and resets the connection it names, or is answered with OP_RST when it names
/// none; so is any other packet for no connection (not counted: it can be a race with a close). None
/// of this stops the queue. A device-readable buffer in rx or event, or a device-writable buffer in
/// tx, breaks §5.10.6.4 and is a <see cref="VirtqueueException"/>. Every copy goes through one bounce
/// buffer of <see cref="ChunkSize"/> bytes, the guest data held per connection is bounded by the
/// credit the guest was given, and replies that pile up (the guest posts no rx buffers) make the
/// device stop taking tx packets rather than grow (§5.10.6.1).</para>
/// </remarks>
public sealed partial class VirtioVsock : IVirtioDevice, IDeviceCounters, IVirtioHostEvents, IDisposable
{
    /// <summary>Device ID of the socket device (§5).</summary>
    public const ushort SocketDeviceType = 19;

    /// <summary>Each queue's size.</summary>
    public const ushort QueueSize = 256;

    /// <summary>rx (§5.10.2): the device puts packets for the guest in its buffers.</summary>
    public const int RxQueue = 0;

    /// <summary>tx (§5.10.2): the guest's packets for the device.</summary>
    public const int TxQueue = 1;

    /// <summary>event (§5.10.2): the device's events (<see cref="VirtioVsockEvent"/>).</summary>
    public const int EventQueue = 2;

    /// <summary>VIRTIO_VSOCK_F_SEQPACKET (bit 1): SOCK_SEQPACKET; not offered.</summary>
    public const ulong FeatureSeqpacket = 1UL << 1;

    /// <summary>The well-known CID of the host (§5.10.4).</summary>
    public const ulong HostCid = 2;

    /// <summary>The first host port given to connections a host program starts; ports go up from
    /// here (Linux's own ephemeral ports start at 1024, so these do not collide with them).</summary>
    public const uint FirstHostPort = 1u << 30;

    /// <summary>The bounce buffer between guest memory and the host sockets, and the most payload
    /// one rx packet carries.</summary>
    public const int ChunkSize = 64 * 1024;

    /// <summary>Host bytes read ahead for the guest per connection.</summary>
    public const int StagingSize = 64 * 1024;

    /// <summary>The longest CONNECT line, newline included.</summary>
    public const int MaxConnectLine = 64;

    /// <summary>Replies waiting for rx buffers beyond which the device takes no more tx packets.</summary>
    public const int MaxPendingReplies = 256;

    /// <summary>VIRTIO_VSOCK_TYPE_STREAM.</summary>
    public const ushort TypeStream = 1;

    /// <summary>VIRTIO_VSOCK_OP_INVALID.</summary>
    public const ushort OpInvalid = 0;
    /// <summary>VIRTIO_VSOCK_OP_REQUEST: connect.</summary>
    public const ushort OpRequest = 1;
    /// <summary>VIRTIO_VSOCK_OP_RESPONSE: the connection is accepted.</summary>
    public const ushort OpResponse = 2;
    /// <summary>VIRTIO_VSOCK_OP_RST: the connection is refused or gone.</summary>
    public const ushort OpReset = 3;
    /// <summary>VIRTIO_VSOCK_OP_SHUTDOWN: no more sending and/or receiving (flags).</summary>
    public const ushort OpShutdown = 4;
    /// <summary>VIRTIO_VSOCK_OP_RW: payload.</summary>
    public const ushort OpReadWrite = 5;
    /// <summary>VIRTIO_VSOCK_OP_CREDIT_UPDATE: the sender's buf_alloc and fwd_cnt.</summary>
    public const ushort OpCreditUpdate = 6;
    /// <summary>VIRTIO_VSOCK_OP_CREDIT_REQUEST: asks for a credit update.</summary>
    public const ushort OpCreditRequest = 7;

    /// <summary>VIRTIO_VSOCK_SHUTDOWN_RCV: the sender receives no more.</summary>
    public const uint ShutdownReceive = 1;
    /// <summary>VIRTIO_VSOCK_SHUTDOWN_SEND: the sender sends no more.</summary>
    public const uint ShutdownSend = 2;

    private const ulong ListenerToken = 1;
    private const ulong TimerToken = 2;
    private const ulong DoorbellToken = 3;
    private const ulong FirstConnectionToken = 16;
    private const int EventsPerPoll = 64;

    private readonly Lock _lock = new();
    private readonly VirtioVsockOptions _options;
    private readonly UnixSocket _listener;
    private readonly Epoll _epoll;
    private readonly TimerFd _timer;
    private readonly EventFd _doorbell;
    private readonly byte[] _chunk = new byte[ChunkSize];
    private readonly Dictionary<ulong, VsockConnection> _byToken = [];
    private readonly Dictionary<(uint Local, uint Peer), VsockConnection> _byPorts = [];
    private readonly Dictionary<uint, int> _localPortUse = [];
    private readonly Queue<ControlPacket> _control = new();
    private readonly Queue<VsockConnection> _sendQueue = new();
    private ulong _nextToken = FirstConnectionToken;
    private uint _nextHostPort = FirstHostPort;
    private bool _eventPending;
    private bool _txStalled;
    private bool _deadlinesChanged;
    private long _listenerResumeAt;
    private bool _disposed;
    private ulong _negotiated;
    private long _connectionsOpened;
    private long _connectionsClosed;
    private long _connectionsReset;
    private long _connectFailures;
    private long _hostHandshakeFailures;
    private long _rxPackets;
    private long _rxBytes;
    private long _txPackets;
    private long _txBytes;
    private long _errors;

    /// <summary>A socket device for the guest <paramref name="guestCid"/> that listens for host
    /// programs at <paramref name="socketPath"/> (which must not exist; the device removes it on
    /// <see cref="Dispose"/>) and connects the guest to <c><paramref name="socketPath"/>_PORT</c>.</summary>
    /// <param name="guestCid">guest_cid: 3 up to, not including, 0xffffffff (§5.10.4: 0, 1 and 2
    /// are reserved or the host's, the upper 32 bits are zero, 0xffffffff is reserved).</param>
    /// <param name="socketPath">The listening socket's path; also the stem of the sockets the guest
    /// connects to.</param>
    /// <param name="options">Limits; null for the defaults.</param>
    /// <exception cref="ErrnoException">The socket cannot be created (EADDRINUSE when the path exists).</exception>
    public VirtioVsock(ulong guestCid, string socketPath, VirtioVsockOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(socketPath);
        if (guestCid <= HostCid || guestCid >= uint.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(guestCid), guestCid, "a guest CID is 3 to 0xfffffffe");
        }
        _options = options ?? new VirtioVsockOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.BufferSize, 4096, nameof(options));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(_options.BufferSize, 64 << 20, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxConnections, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(_options.ConnectTimeout, TimeSpan.Zero, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(_options.CloseTimeout, TimeSpan.Zero, nameof(options));
        GuestCid = guestCid;
        SocketPath = socketPath;
        _epoll = Epoll.Create();
        try
        {
            _timer = TimerFd.Create();
            _doorbell = EventFd.Create();
            _listener = UnixSocket.Listen(socketPath);
        }
        catch
        {
            _timer?.Dispose();
            _doorbell?.Dispose();
            _epoll.Dispose();
            throw;
        }
        try
        {
            FileDescriptor.SetNonBlocking(_listener.Handle);
            _epoll.Add(_listener.Handle, ListenerToken, EpollEvents.In);
            _epoll.Add(_timer.Handle, TimerToken, EpollEvents.In);
            _epoll.Add(_doorbell.Handle, DoorbellToken, EpollEvents.In);
        }
        catch
        {
            DisposeHandles();
            throw;
        }
    }

    /// <inheritdoc/>
    public ushort DeviceType => SocketDeviceType;

    /// <inheritdoc/>
    public ulong Features => 0;

    /// <inheritdoc/>
    public IReadOnlyList<ushort> QueueMaxSizes { get; } = [QueueSize, QueueSize, QueueSize];

    /// <inheritdoc/>
    public int ConfigSize => VirtioVsockConfig.Size;

    /// <summary>guest_cid: the guest's context ID.</summary>
    public ulong GuestCid { get; }

    /// <summary>The listening socket's path, and the stem of the sockets the guest connects to.</summary>
    public string SocketPath { get; }

    /// <summary>The limits in force.</summary>
    public VirtioVsockOptions Options => _options;

    /// <summary>An epoll descriptor, owned by the device, that is readable while host work waits:
    /// watch it for input and call <see cref="ProcessHostEvents"/>. Valid until <see cref="Dispose"/>.</summary>
    public SafeFd PollHandle => _epoll.Handle;

    /// <inheritdoc/>
    /// <remarks><see cref="PollHandle"/>, the one descriptor for all the device's host work.</remarks>
    public IReadOnlyList<SafeFd> HostEventSources => [PollHandle];

    /// <inheritdoc/>
    /// <remarks><see cref="ProcessHostEvents"/>; its <see cref="VirtioVsockWork"/> bits are the queues' (bit q for queue q).</remarks>
    public ulong ServeHostEvent(int index) => (ulong)ProcessHostEvents();

    /// <inheritdoc/>
    /// <remarks>Always: the device takes what it can hold and stops watching a socket itself when it cannot.</remarks>
    public bool WantsHostEvent(int index) => true;

    /// <summary>The feature bits the driver accepted, transport bits included; 0 before
    /// negotiation and after a reset.</summary>
    public ulong NegotiatedFeatures => Interlocked.Read(ref _negotiated);

    /// <summary>The connections the device holds now, those in their handshake included.</summary>
    public int ConnectionCount
    {
        get
        {
            lock (_lock)
            {
                return _byToken.Count;
            }
        }
    }

    /// <inheritdoc/>
    public void ReadConfig(int offset, Span<byte> data)
    {
        DeviceConfigSpace.Read(new VirtioVsockConfig { GuestCid = GuestCid }, offset, data);
    }

    /// <inheritdoc/>
    /// <remarks>guest_cid is read-only (§5.10.4): writes are ignored.</remarks>
    public void WriteConfig(int offset, ReadOnlySpan<byte> data)
    {
    }

    /// <inheritdoc/>
    /// <remarks><see cref="RxQueue"/>: fills rx buffers with waiting packets (replies and control
    /// packets first, then data, one connection after another), until either runs out; without
    /// packets no buffer is taken. <see cref="TxQueue"/>: handles every available packet and returns
    /// it with used length 0, unless replies pile up past <see cref="MaxPendingReplies"/> (then the
    /// rest waits until rx buffers drain them, and <see cref="ProcessHostEvents"/> reports
    /// <see cref="VirtioVsockWork.Transmit"/>). <see cref="EventQueue"/>: delivers a pending
    /// transport reset event. After <see cref="Dispose"/> nothing is served.</remarks>
    public void ProcessQueue(int index, SplitVirtqueue queue, GuestMemory memory)
    {
        ArgumentNullException.ThrowIfNull(queue);
        ArgumentNullException.ThrowIfNull(memory);
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }
            switch (index)
            {
                case RxQueue:
                    Receive(queue, memory);
                    break;
                case TxQueue:
                    Transmit(queue, memory);
                    break;
                case EventQueue:
                    DeliverEvent(queue, memory);
                    break;
                default:
                    break;
            }
            RearmTimerIfChanged();
        }
    }

    /// <inheritdoc/>
    public void FeaturesNegotiated(ulong features) => Interlocked.Exchange(ref _negotiated, features);

    /// <inheritdoc/>
    /// <remarks>Every connection is dropped and its host socket closed (counted in
    /// connections_reset); packets and events not yet delivered are discarded. The listening socket
    /// stays: host programs may connect again and wait for the next driver.</remarks>
    public void Reset()
    {
        Interlocked.Exchange(ref _negotiated, 0);
        lock (_lock)
        {
            DropAll();
            _eventPending = false;
            RearmTimerIfChanged();
        }
    }

    /// <summary>What a snapshot restore does to the guest's transport (§5.10.6.7): every connection
    /// is dropped and its host socket closed (the guest's sockets are gone with the old host), and a
    /// VIRTIO_VSOCK_EVENT_TRANSPORT_RESET waits for an event buffer. Call the transport's
    /// <see cref="VirtioPciFunction.NotifyQueue"/> for each queue returned. Thread-safe.</summary>
    /// <returns><see cref="VirtioVsockWork.Event"/>.</returns>
    public VirtioVsockWork TransportReset()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            DropAll();
            _eventPending = true;
            RearmTimerIfChanged();
            return VirtioVsockWork.Event;
        }
    }

    /// <summary>Does the host work that waits (see <see cref="PollHandle"/>): accepts host programs,
    /// reads their CONNECT lines, moves bytes between host sockets and the device's per-connection
    /// buffers, within the guest's credit, and ends connections whose deadline passed. Never waits.
    /// Call it without holding the transport's lock, then serve the queues returned. Thread-safe.</summary>
    /// <returns>The queues the transport should now serve.</returns>
    public VirtioVsockWork ProcessHostEvents()
    {
        Span<EpollReady> ready = stackalloc EpollReady[EventsPerPoll];
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            int n = _epoll.Wait(ready, TimeSpan.Zero);
            for (int i = 0; i < n; i++)
            {
                switch (ready[i].Token)
                {
                    case ListenerToken:
                        AcceptHostPrograms();
                        break;
                    case TimerToken:
                        _timer.TryRead();
                        ExpireDeadlines();
                        break;
                    case DoorbellToken:
                        _doorbell.TryRead();
                        break;
                    default:
                        // A connection closed earlier in this batch reports nothing more.
                        if (_byToken.TryGetValue(ready[i].Token, out VsockConnection? connection))
                        {
                            HostReady(connection, ready[i].Events);
                        }
                        break;
                }
            }
            RearmTimerIfChanged();
            VirtioVsockWork work = VirtioVsockWork.None;
            if (_control.Count > 0 || _sendQueue.Count > 0)
            {
                work |= VirtioVsockWork.Receive;
            }
            if (_txStalled && _control.Count < MaxPendingReplies)
            {
                _txStalled = false;
                work |= VirtioVsockWork.Transmit;
            }
            if (_eventPending)
            {
                work |= VirtioVsockWork.Event;
            }
            return work;
        }
    }

    /// <summary>What the device has done since it was made: connections_opened (streams
    /// established, either side starting), connections_closed (ended by clean shutdowns),
    /// connections_reset (ended by RST from either side, an error, a deadline or a reset),
    /// connect_failures (guest requests no host socket accepted, host programs the guest refused),
    /// host_handshake_failures (host programs dropped for a bad or late CONNECT line or past
    /// <see cref="VirtioVsockOptions.MaxConnections"/>), rx_packets and rx_bytes (packets and payload
    /// put in rx buffers), tx_packets and tx_bytes (packets taken from tx, payload written to host
    /// sockets) and errors (malformed or misaddressed guest packets and protocol violations).</summary>
    public IReadOnlyList<KeyValuePair<string, long>> ReadCounters() =>
    [
        new("connections_opened", Interlocked.Read(ref _connectionsOpened)),
        new("connections_closed", Interlocked.Read(ref _connectionsClosed)),
        new("connections_reset", Interlocked.Read(ref _connectionsReset)),
        new("connect_failures", Interlocked.Read(ref _connectFailures)),
        new("host_handshake_failures", Interlocked.Read(ref _hostHandshakeFailures)),
        new("rx_packets", Interlocked.Read(ref _rxPackets)),
        new("rx_bytes", Interlocked.Read(ref _rxBytes)),
        new("tx_packets", Interlocked.Read(ref _txPackets)),
        new("tx_bytes", Interlocked.Read(ref _txBytes)),
        new("errors", Interlocked.Read(ref _errors)),
    ];

    /// <summary>Closes every host socket, the listening socket (removing its file), and the
    /// device's epoll, timer and doorbell. Stop calling <see cref="ProcessHostEvents"/> and remove
    /// <see cref="PollHandle"/> from other epolls first.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            DropAll();
            DisposeHandles();
        }
    }

    private void DisposeHandles()
    {
        _listener.Dispose();
        try
        {
            File.Delete(SocketPath);
        }
        catch (IOException)
        {
            // Someone else's file now, or gone: nothing of ours to remove.
        }
        catch (UnauthorizedAccessException)
        {
        }
        _timer.Dispose();
        _doorbell.Dispose();
        _epoll.Dispose();
    }

    // Every connection goes, without packets to the guest (its queues are being reset or its
    // transport is gone), and so do packets not yet delivered.
    private void DropAll()
    {
        foreach (VsockConnection connection in _byToken.Values.ToList())
        {
            Close(connection);
            Interlocked.Increment(ref _connectionsReset);
        }
        _control.Clear();
        _sendQueue.Clear();
        _txStalled = false;
    }

    // A packet the device sends the guest that is not data: built when it is delivered, so it
    // carries the credit state of that moment.
    private readonly record struct ControlPacket(ushort Op, uint LocalPort, uint PeerPort, uint Flags, VsockConnection? Connection);
}
