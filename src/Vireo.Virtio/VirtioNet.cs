using System.Runtime.InteropServices;
using Vireo.Memory;
using Vireo.Pci;
using Vireo.Sys;

namespace Vireo.Virtio;

/// <summary>
/// The network device (virtio 1.2 §5.1) with one receive queue (0), one transmit queue (1) and no
/// control queue, over an <see cref="INetBackend"/>. Every packet carries a 12-byte
/// <see cref="VirtioNetHeader"/>. The device offers its MAC address, link status, mergeable receive
/// buffers (VIRTIO_NET_F_MRG_RXBUF: a large frame spans several small buffers, which Linux needs for
/// good throughput), optionally an MTU, and the checksum and TSO offloads the backend handles, in both
/// directions; the offloads the driver accepts for received frames are handed to the backend
/// (<see cref="INetBackend.SetOffloads"/>).
/// </summary>
/// <remarks>
/// <para>Threads: the transport serialises the <see cref="IVirtioDevice"/> calls under its lock; the
/// counters, <see cref="ReceiveStalled"/> and <see cref="SetLinkUp"/> may be used from any thread.</para>
/// <para>Integration: the machine waits on <see cref="INetBackend.ReadableHandle"/> and, when it is
/// readable, calls the transport's <c>NotifyQueue(</c><see cref="ReceiveQueue"/><c>)</c>
/// (<see cref="VirtioPciFunction.NotifyQueue"/>), which moves waiting frames into the buffers the
/// driver has posted, at most <see cref="MaxFramesPerPass"/> per call. A frame that finds too few
/// buffers is held by the device and the rest stay in the backend (unread): the pass ends with
/// <see cref="ReceiveStalled"/> true, and the machine should then stop waiting on the backend's
/// handle (it stays readable) until the driver notifies the receive queue after posting buffers,
/// which resumes delivery. The transmit queue is served when the driver notifies it.</para>
/// <para>Hostile input: chains are already checked to lie in guest RAM by <see cref="SplitVirtqueue"/>.
/// A transmit chain shorter than the header or longer than <see cref="MaxTransmitLength"/>, or whose
/// header asks for an offload the driver did not negotiate, is dropped (tx_dropped and errors) and
/// returned. A device-writable buffer in a transmit chain, a device-readable buffer in a receive
/// chain, or a receive chain with less room than the header (§5.1.6.3.1) breaks the ring's rules and
/// is a <see cref="VirtqueueException"/>. Guest data passes through two bounce buffers of
/// <see cref="MaxTransmitLength"/> bytes whatever the chain's buffers.</para>
/// </remarks>
public sealed class VirtioNet : IVirtioDevice, IDeviceCounters, IVirtioHostEvents
{
    /// <summary>Device ID of the network device (§5).</summary>
    public const ushort NetworkDeviceType = 1;

    /// <summary>Each queue's size.</summary>
    public const ushort QueueSize = 256;

    /// <summary>receiveq1 (§5.1.2): the device writes frames for the guest into its buffers.</summary>
    public const int ReceiveQueue = 0;

    /// <summary>transmitq1 (§5.1.2): the device reads the guest's frames from its buffers.</summary>
    public const int TransmitQueue = 1;

    /// <summary>The longest frame either way: 65562 bytes, the receive buffer §5.1.6.3.1 asks a
    /// driver with GUEST_TSO to post for the largest packet, less the header.</summary>
    public const int MaxFrameLength = MaxTransmitLength - VirtioNetHeader.Size;

    /// <summary>The most bytes of one transmit chain: the header and <see cref="MaxFrameLength"/>.</summary>
    public const int MaxTransmitLength = 65562;

    // Pieces of one transmitted frame sent in place: Linux sends at most MAX_SKB_FRAGS (17) and
    // the linear part; a chain in more pieces is copied.
    private const int MaxTransmitPieces = 64;

    /// <summary>The most frames one receive pass moves, so a flooding backend cannot hold the
    /// transport's lock; the backend's handle stays readable for the next pass.</summary>
    public const int MaxFramesPerPass = 256;

    /// <summary>The smallest MTU a device may advise (§5.1.4.1: 68, IPv4's minimum).</summary>
    public const ushort MinMtu = 68;

    /// <summary>VIRTIO_NET_F_CSUM (bit 0): the device takes packets with a partial checksum.</summary>
    public const ulong FeatureChecksum = 1UL << 0;
    /// <summary>VIRTIO_NET_F_GUEST_CSUM (bit 1): the driver takes packets with a partial checksum.</summary>
    public const ulong FeatureGuestChecksum = 1UL << 1;
    /// <summary>VIRTIO_NET_F_MTU (bit 3): mtu is valid.</summary>
    public const ulong FeatureMtu = 1UL << 3;
    /// <summary>VIRTIO_NET_F_MAC (bit 5): mac is valid.</summary>
    public const ulong FeatureMac = 1UL << 5;
    /// <summary>VIRTIO_NET_F_GUEST_TSO4 (bit 7): the driver takes IPv4 TSO packets.</summary>
    public const ulong FeatureGuestTso4 = 1UL << 7;
    /// <summary>VIRTIO_NET_F_GUEST_TSO6 (bit 8): the driver takes IPv6 TSO packets.</summary>
    public const ulong FeatureGuestTso6 = 1UL << 8;
    /// <summary>VIRTIO_NET_F_GUEST_ECN (bit 9): the driver takes TSO packets with ECN.</summary>
    public const ulong FeatureGuestEcn = 1UL << 9;
    /// <summary>VIRTIO_NET_F_GUEST_UFO (bit 10): the driver takes UFO packets; not offered.</summary>
    public const ulong FeatureGuestUfo = 1UL << 10;
    /// <summary>VIRTIO_NET_F_HOST_TSO4 (bit 11): the device takes IPv4 TSO packets.</summary>
    public const ulong FeatureHostTso4 = 1UL << 11;
    /// <summary>VIRTIO_NET_F_HOST_TSO6 (bit 12): the device takes IPv6 TSO packets.</summary>
    public const ulong FeatureHostTso6 = 1UL << 12;
    /// <summary>VIRTIO_NET_F_HOST_ECN (bit 13): the device takes TSO packets with ECN.</summary>
    public const ulong FeatureHostEcn = 1UL << 13;
    /// <summary>VIRTIO_NET_F_HOST_UFO (bit 14): the device takes UFO packets; not offered.</summary>
    public const ulong FeatureHostUfo = 1UL << 14;
    /// <summary>VIRTIO_NET_F_MRG_RXBUF (bit 15): a received packet may span several buffers.</summary>
    public const ulong FeatureMergeRxBuffers = 1UL << 15;
    /// <summary>VIRTIO_NET_F_STATUS (bit 16): status is valid.</summary>
    public const ulong FeatureStatus = 1UL << 16;

    /// <summary>VIRTIO_NET_S_LINK_UP in status.</summary>
    public const ushort StatusLinkUp = 1;

    private readonly INetBackend _backend;
    private readonly MacAddress _mac;
    private readonly ushort _mtu;
    private readonly byte[] _txHeader = new byte[VirtioNetHeader.Size];
    private readonly byte[] _txFrame = new byte[MaxFrameLength];
    private readonly byte[] _rxHeader = new byte[VirtioNetHeader.Size];
    private readonly byte[] _rxFrame = new byte[MaxFrameLength];
    private readonly List<DescriptorChain> _chains = [];
    private ulong _negotiated;
    private int _linkUp = 1;
    // Stalled (1) from the start: no receive buffers are known until the driver kicks the queue.
    private int _stalled = 1;
    // The length of the frame in _rxFrame that waits for buffers, or -1.
    private int _pending = -1;
    private long _rxBytes;
    private long _rxPackets;
    private long _txBytes;
    private long _txPackets;
    private long _rxDropped;
    private long _txDropped;
    private long _errors;

    /// <summary>A network device with address <paramref name="mac"/> over <paramref name="backend"/>.</summary>
    /// <param name="backend">Where frames go and come from; the device does not own it.</param>
    /// <param name="mac">The MAC address the driver reads (<see cref="MacAddress.FromName"/> makes a stable one).</param>
    /// <param name="mtu">The MTU to advise the driver (VIRTIO_NET_F_MTU), or null to offer none
    /// (the driver then uses 1500).</param>
    public VirtioNet(INetBackend backend, MacAddress mac, ushort? mtu = null)
    {
        ArgumentNullException.ThrowIfNull(backend);
        if (mac.IsMulticast)
        {
            throw new ArgumentException($"{mac} is a group address; a device's MAC address is unicast", nameof(mac));
        }
        if (mtu is ushort value)
        {
            // A frame is the MTU plus the Ethernet header and a VLAN tag.
            ArgumentOutOfRangeException.ThrowIfLessThan(value, MinMtu, nameof(mtu));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, MaxFrameLength - 18, nameof(mtu));
        }
        _backend = backend;
        _mac = mac;
        _mtu = mtu ?? 0;
        ulong features = FeatureMac | FeatureStatus | FeatureMergeRxBuffers | (mtu is null ? 0 : FeatureMtu);
        TunOffloads offloads = backend.SupportedOffloads;
        // §5.1.3.1: TSO needs the checksum offload, ECN needs TSO, in each direction.
        if ((offloads & TunOffloads.Checksum) != 0)
        {
            features |= FeatureChecksum | FeatureGuestChecksum;
            if ((offloads & TunOffloads.Tso4) != 0)
            {
                features |= FeatureHostTso4 | FeatureGuestTso4;
            }
            if ((offloads & TunOffloads.Tso6) != 0)
            {
                features |= FeatureHostTso6 | FeatureGuestTso6;
            }
            if ((offloads & TunOffloads.TsoEcn) != 0 && (offloads & (TunOffloads.Tso4 | TunOffloads.Tso6)) != 0)
            {
                features |= FeatureHostEcn | FeatureGuestEcn;
            }
        }
        Features = features;
    }

    /// <inheritdoc/>
    /// <remarks>The backend's readable handle, which serves <see cref="ReceiveQueue"/>.</remarks>
    public IReadOnlyList<SafeFd> HostEventSources => [_backend.ReadableHandle];

    /// <inheritdoc/>
    public ulong ServeHostEvent(int index) => 1UL << ReceiveQueue;

    /// <inheritdoc/>
    /// <remarks>Not while <see cref="ReceiveStalled"/>: the frames wait in the backend for the
    /// driver's next receive buffers.</remarks>
    public bool WantsHostEvent(int index) => !ReceiveStalled;

    /// <inheritdoc/>
    public ushort DeviceType => NetworkDeviceType;

    /// <inheritdoc/>
    public ulong Features { get; }

    /// <inheritdoc/>
    public IReadOnlyList<ushort> QueueMaxSizes { get; } = [QueueSize, QueueSize];

    /// <inheritdoc/>
    public int ConfigSize => VirtioNetConfig.Size;

    /// <summary>The device's MAC address.</summary>
    public MacAddress Mac => _mac;

    /// <summary>The feature bits the driver accepted, transport bits included; 0 before
    /// negotiation and after a reset.</summary>
    public ulong NegotiatedFeatures => Interlocked.Read(ref _negotiated);

    /// <summary>True when the last receive pass stopped because the driver had too few buffers
    /// posted: the machine may stop waiting on the backend's handle until the driver notifies the
    /// receive queue. False after a pass that emptied the backend or hit <see cref="MaxFramesPerPass"/>.</summary>
    public bool ReceiveStalled => Volatile.Read(ref _stalled) != 0;

    /// <summary>The configuration space the driver reads now.</summary>
    public VirtioNetConfig Config
    {
        get
        {
            var config = new VirtioNetConfig
            {
                Status = Volatile.Read(ref _linkUp) != 0 ? StatusLinkUp : (ushort)0,
                MaxVirtqueuePairs = 1,
                Mtu = _mtu,
                // §5.1.4: speed and duplex unknown (SPEED_DUPLEX is not offered).
                Speed = uint.MaxValue,
                Duplex = 0xff,
            };
            _mac.CopyTo(config.Mac);
            return config;
        }
    }

    /// <summary>Sets the link status the driver reads (the host's side went up or down). Thread-safe.</summary>
    /// <param name="up">True for VIRTIO_NET_S_LINK_UP.</param>
    /// <returns>True when the status changed and the driver negotiated VIRTIO_NET_F_STATUS: the
    /// machine then calls <see cref="VirtioPciFunction.NotifyConfigChanged"/> (§5.1.4.2).</returns>
    public bool SetLinkUp(bool up)
        => Interlocked.Exchange(ref _linkUp, up ? 1 : 0) != (up ? 1 : 0) && (NegotiatedFeatures & FeatureStatus) != 0;

    /// <inheritdoc/>
    public void ReadConfig(int offset, Span<byte> data)
    {
        DeviceConfigSpace.Read(Config, offset, data);
    }

    /// <inheritdoc/>
    /// <remarks>Every field is read-only to a VERSION_1 driver (§5.1.4.2); writes are ignored.</remarks>
    public void WriteConfig(int offset, ReadOnlySpan<byte> data)
    {
    }

    /// <inheritdoc/>
    /// <remarks><see cref="ReceiveQueue"/>: moves frames from the backend into posted buffers (see
    /// the class remarks); <see cref="TransmitQueue"/>: sends every available chain and returns it
    /// with used length 0. Other indices do nothing.</remarks>
    public void ProcessQueue(int index, SplitVirtqueue queue, GuestMemory memory)
    {
        ArgumentNullException.ThrowIfNull(queue);
        ArgumentNullException.ThrowIfNull(memory);
        switch (index)
        {
            case ReceiveQueue:
                // Stalled until the pass ends well: a ring that turns out misprogrammed leaves the
                // device waiting for a reset, not for the backend.
                Volatile.Write(ref _stalled, 1);
                Volatile.Write(ref _stalled, Receive(queue, memory) ? 1 : 0);
                break;
            case TransmitQueue:
                Transmit(queue, memory);
                break;
            default:
                break;
        }
    }

    /// <inheritdoc/>
    /// <remarks>The receive offloads the driver accepted (GUEST_CSUM, GUEST_TSO4/6, GUEST_ECN) go to
    /// the backend, which may then hand over frames that still need them. A backend that fails keeps
    /// fewer offloads, which is safe, and counts as an error.</remarks>
    public void FeaturesNegotiated(ulong features)
    {
        Interlocked.Exchange(ref _negotiated, features);
        SetBackendOffloads(GuestOffloads(features));
    }

    /// <inheritdoc/>
    /// <remarks>A frame held for the previous driver is dropped (rx_dropped) and the backend's
    /// offloads are turned off until the next negotiation.</remarks>
    public void Reset()
    {
        Interlocked.Exchange(ref _negotiated, 0);
        // No buffers until the next driver posts some and kicks the receive queue.
        Volatile.Write(ref _stalled, 1);
        if (_pending >= 0)
        {
            _pending = -1;
            Interlocked.Increment(ref _rxDropped);
        }
        SetBackendOffloads(TunOffloads.None);
    }

    /// <summary>What the device has moved since it was made: rx_bytes and rx_packets (frames
    /// delivered to the guest, headers not counted), tx_bytes and tx_packets (frames the backend
    /// took), rx_dropped (frames that did not fit the guest's buffers, that needed an offload the
    /// driver did not accept, or that a reset discarded), tx_dropped (frames refused by the checks or
    /// by the backend) and errors (guest errors and backend failures).</summary>
    public IReadOnlyList<KeyValuePair<string, long>> ReadCounters() =>
    [
        new("rx_bytes", Interlocked.Read(ref _rxBytes)),
        new("rx_packets", Interlocked.Read(ref _rxPackets)),
        new("tx_bytes", Interlocked.Read(ref _txBytes)),
        new("tx_packets", Interlocked.Read(ref _txPackets)),
        new("rx_dropped", Interlocked.Read(ref _rxDropped)),
        new("tx_dropped", Interlocked.Read(ref _txDropped)),
        new("errors", Interlocked.Read(ref _errors)),
    ];

    private static TunOffloads GuestOffloads(ulong features)
    {
        TunOffloads offloads = TunOffloads.None;
        if ((features & FeatureGuestChecksum) != 0)
        {
            offloads |= TunOffloads.Checksum;
            offloads |= (features & FeatureGuestTso4) != 0 ? TunOffloads.Tso4 : 0;
            offloads |= (features & FeatureGuestTso6) != 0 ? TunOffloads.Tso6 : 0;
            offloads |= (features & FeatureGuestEcn) != 0 ? TunOffloads.TsoEcn : 0;
        }
        return offloads;
    }

    private void SetBackendOffloads(TunOffloads offloads)
    {
        try
        {
            _backend.SetOffloads(offloads);
        }
        catch (IOException)
        {
            Interlocked.Increment(ref _errors);
        }
    }

    // Every bit of `features` was negotiated (a TSO bit counts only with its checksum bit, §5.1.3.1).
    private bool Negotiated(ulong features) => (_negotiated & features) == features;

    private void Transmit(SplitVirtqueue queue, GuestMemory memory)
    {
        Span<IoSegment> pieces = stackalloc IoSegment[MaxTransmitPieces];
        while (queue.Pop() is DescriptorChain chain)
        {
            // Writable buffers come last in a chain (§2.7.4.2), so the last tells.
            if (chain.Buffers[^1].Writable)
            {
                throw new VirtqueueException($"network transmit chain from head {chain.Head} has a device-writable buffer (§5.1.6.2)");
            }
            ulong length = chain.ReadableLength;
            if (length < VirtioNetHeader.Size || length > MaxTransmitLength)
            {
                Interlocked.Increment(ref _txDropped);
                Interlocked.Increment(ref _errors);
            }
            else
            {
                var cursor = new ChainCursor(chain.Buffers, 0, chain.Buffers.Count, memory);
                int frameLength = (int)length - VirtioNetHeader.Size;
                cursor.Read(_txHeader);
                // The frame leaves from the guest's buffers in place; a chain that is not plain
                // RAM (or in more pieces than a writev takes) is copied first.
                if (cursor.TryTakeSegments((ulong)frameLength, pieces, out int count))
                {
                    Send(frameLength, pieces[..count]);
                }
                else
                {
                    cursor.Read(_txFrame.AsSpan(0, frameLength));
                    Send(frameLength, []);
                }
            }
            // §5.1.6.2: the device only reads a transmit buffer.
            queue.PushUsed(chain.Head, 0);
        }
    }

    // The frame is `pieces` in guest RAM, or the first frameLength bytes of _txFrame when none.
    private void Send(int frameLength, ReadOnlySpan<IoSegment> pieces)
    {
        ref VirtioNetHeader header = ref MemoryMarshal.AsRef<VirtioNetHeader>(_txHeader.AsSpan());
        if (!TransmitOffloadsNegotiated(in header))
        {
            Interlocked.Increment(ref _txDropped);
            Interlocked.Increment(ref _errors);
            return;
        }
        // §5.1.6.2: num_buffers is the device's on receive; the driver's value means nothing.
        header.NumBuffers = 0;
        bool sent;
        try
        {
            sent = pieces.IsEmpty ? _backend.Send(_txHeader, _txFrame.AsSpan(0, frameLength)) : _backend.Send(_txHeader, pieces);
        }
        catch (IOException)
        {
            Interlocked.Increment(ref _errors);
            sent = false;
        }
        if (sent)
        {
            Interlocked.Increment(ref _txPackets);
            Interlocked.Add(ref _txBytes, frameLength);
        }
        else
        {
            Interlocked.Increment(ref _txDropped);
        }
    }

    // §5.1.6.2.1: the driver asks for a checksum only with CSUM and for segmentation only with
    // the matching HOST_ feature.
    private bool TransmitOffloadsNegotiated(in VirtioNetHeader header)
    {
        if ((header.Flags & VirtioNetHeader.FlagNeedsChecksum) != 0 && !Negotiated(FeatureChecksum))
        {
            return false;
        }
        if ((header.GsoType & VirtioNetHeader.GsoEcn) != 0 && !Negotiated(FeatureHostEcn))
        {
            return false;
        }
        return (byte)(header.GsoType & ~VirtioNetHeader.GsoEcn) switch
        {
            VirtioNetHeader.GsoNone => (header.GsoType & VirtioNetHeader.GsoEcn) == 0,
            VirtioNetHeader.GsoTcpV4 => Negotiated(FeatureChecksum | FeatureHostTso4),
            VirtioNetHeader.GsoTcpV6 => Negotiated(FeatureChecksum | FeatureHostTso6),
            _ => false,
        };
    }

    // Returns true when the pass stopped for want of buffers.
    private bool Receive(SplitVirtqueue queue, GuestMemory memory)
    {
        for (int frames = 0; frames < MaxFramesPerPass; frames++)
        {
            if (_pending < 0)
            {
                // A frame is taken from the backend only when the driver has a buffer for it.
                if (queue.Pop() is null)
                {
                    return true;
                }
                queue.Unpop(1);
                int length;
                try
                {
                    length = _backend.Receive(_rxHeader, _rxFrame);
                }
                catch (IOException)
                {
                    Interlocked.Increment(ref _errors);
                    return false;
                }
                if (length < 0)
                {
                    return false;
                }
                if (length > MaxFrameLength)
                {
                    Interlocked.Increment(ref _rxDropped);
                    Interlocked.Increment(ref _errors);
                    continue;
                }
                _pending = length;
            }
            if (!Deliver(queue, memory))
            {
                return true;
            }
        }
        return false;
    }

    // Puts the pending frame into as many chains as it needs (one without MRG_RXBUF). Returns false
    // when the driver has too few buffers posted: the chains go back and the frame stays pending.
    private bool Deliver(SplitVirtqueue queue, GuestMemory memory)
    {
        bool mergeable = Negotiated(FeatureMergeRxBuffers);
        int total = VirtioNetHeader.Size + _pending;
        ulong room = 0;
        _chains.Clear();
        // The driver may add buffers while we look; a few fresh looks, then wait for its notify.
        for (int looks = 0; room < (ulong)total && (mergeable || _chains.Count == 0) && _chains.Count < queue.Size;)
        {
            if (queue.Pop() is not DescriptorChain chain)
            {
                bool more = queue.Unpop(_chains.Count);
                _chains.Clear();
                room = 0;
                if (!more || ++looks == 4)
                {
                    return false;
                }
                continue;
            }
            CheckReceiveChain(chain);
            _chains.Add(chain);
            room += chain.WritableLength;
        }
        if (room < (ulong)total || !ReceiveHeaderAcceptable())
        {
            // Too big for a chain without MRG_RXBUF or for the whole ring, or an offload the driver
            // did not accept: the frame is dropped and the buffers wait for the next one.
            queue.Unpop(_chains.Count);
            _pending = -1;
            Interlocked.Increment(ref _rxDropped);
            return true;
        }
        ref VirtioNetHeader header = ref MemoryMarshal.AsRef<VirtioNetHeader>(_rxHeader.AsSpan());
        header.NumBuffers = (ushort)_chains.Count;
        int offset = 0;
        foreach (DescriptorChain chain in _chains)
        {
            int take = (int)Math.Min((ulong)(total - offset), chain.WritableLength);
            var cursor = new ChainCursor(chain.Buffers, 0, chain.Buffers.Count, memory);
            int end = offset + take;
            if (offset < VirtioNetHeader.Size)
            {
                // The header is whole in the first chain: every chain holds at least its size.
                cursor.Write(_rxHeader);
                offset = VirtioNetHeader.Size;
            }
            cursor.Write(_rxFrame.AsSpan(offset - VirtioNetHeader.Size, end - offset));
            offset = end;
            queue.PushUsed(chain.Head, (uint)take);
        }
        Interlocked.Increment(ref _rxPackets);
        Interlocked.Add(ref _rxBytes, _pending);
        _pending = -1;
        _chains.Clear();
        return true;
    }

    // §5.1.6.3.1: receive buffers are device-writable and hold at least the header.
    private static void CheckReceiveChain(DescriptorChain chain)
    {
        // Readable buffers come first in a chain (§2.7.4.2), so the first tells.
        if (!chain.Buffers[0].Writable)
        {
            throw new VirtqueueException($"network receive chain from head {chain.Head} has a device-readable buffer (§5.1.6.3.1)");
        }
        if (chain.WritableLength < VirtioNetHeader.Size)
        {
            throw new VirtqueueException($"network receive chain from head {chain.Head} holds {chain.WritableLength} bytes, less than the {VirtioNetHeader.Size}-byte header (§5.1.6.3.1)");
        }
    }

    // §5.1.6.4.1: without GUEST_CSUM flags are zero; a partial checksum or a segmentation type needs
    // the matching GUEST_ feature. The backend was told the same, so this guards against one that
    // ignores it (and against a driver reset racing a frame already taken).
    private bool ReceiveHeaderAcceptable()
    {
        ref VirtioNetHeader header = ref MemoryMarshal.AsRef<VirtioNetHeader>(_rxHeader.AsSpan());
        if (!Negotiated(FeatureGuestChecksum))
        {
            if ((header.Flags & VirtioNetHeader.FlagNeedsChecksum) != 0)
            {
                return false;
            }
            header.Flags = 0;
        }
        if ((header.GsoType & VirtioNetHeader.GsoEcn) != 0 && !Negotiated(FeatureGuestEcn))
        {
            return false;
        }
        return (byte)(header.GsoType & ~VirtioNetHeader.GsoEcn) switch
        {
            VirtioNetHeader.GsoNone => (header.GsoType & VirtioNetHeader.GsoEcn) == 0,
            VirtioNetHeader.GsoTcpV4 => Negotiated(FeatureGuestChecksum | FeatureGuestTso4),
            VirtioNetHeader.GsoTcpV6 => Negotiated(FeatureGuestChecksum | FeatureGuestTso6),
            _ => false,
        };
    }
}
