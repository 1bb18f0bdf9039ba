using Vireo.Sys;

namespace Vireo.Virtio;

/// <summary>Where a <see cref="VsockConnection"/> is in its life.</summary>
internal enum VsockConnectionState
{
    /// <summary>A host program connected to the listening socket; its CONNECT line is not complete.</summary>
    AwaitingConnectLine,
    /// <summary>The guest was sent OP_REQUEST for a host program and has not answered.</summary>
    AwaitingResponse,
    /// <summary>Both sides agreed; bytes flow (until the shutdowns).</summary>
    Established,
}

/// <summary>One stream between a guest port and a host UNIX socket, with the credit state of both
/// directions (virtio 1.2 §5.10.6.3). The device's lock guards every field.</summary>
internal sealed class VsockConnection(ulong token, UnixSocket host, int bufferSize, int stagingSize)
{
    /// <summary>Its epoll token, never reused.</summary>
    public ulong Token { get; } = token;

    /// <summary>The host side, non-blocking; owned.</summary>
    public UnixSocket Host { get; } = host;

    public VsockConnectionState State { get; set; } = VsockConnectionState.Established;

    /// <summary>The host's port (the guest's dst_port for the packets it sends).</summary>
    public uint LocalPort { get; set; }

    /// <summary>The guest's port.</summary>
    public uint PeerPort { get; set; }

    /// <summary>True once it is in the device's table under (LocalPort, PeerPort).</summary>
    public bool Keyed { get; set; }

    public bool Closed { get; set; }

    /// <summary>The CONNECT line read so far (host-initiated connections only).</summary>
    public byte[]? Line { get; set; }

    public int LineLength { get; set; }

    /// <summary>"OK port\n" and how much of it the host has taken.</summary>
    public byte[]? Reply { get; set; }

    public int ReplySent { get; set; }

    /// <summary>Guest data not yet written to the host socket: at most buf_alloc bytes.</summary>
    public ByteRing ToHost { get; } = new(bufferSize);

    /// <summary>Host data read for the guest, not yet in an rx buffer.</summary>
    public ByteRing ToGuest { get; } = new(stagingSize);

    /// <summary>fwd_cnt: guest bytes written to the host socket, free-running.</summary>
    public uint ForwardCount { get; set; }

    /// <summary>The fwd_cnt last told to the guest.</summary>
    public uint AdvertisedForwardCount { get; set; }

    /// <summary>The guest's buf_alloc for this connection.</summary>
    public uint PeerBufferAlloc { get; set; }

    /// <summary>The guest's fwd_cnt: how much of what it was sent it has consumed.</summary>
    public uint PeerForwardCount { get; set; }

    /// <summary>Bytes sent to the guest, free-running (Linux's tx_cnt).</summary>
    public uint SentToGuest { get; set; }

    /// <summary>The guest said it sends no more (SHUTDOWN with SEND).</summary>
    public bool GuestDoneSending { get; set; }

    /// <summary>The guest said it receives no more (SHUTDOWN with RCV).</summary>
    public bool GuestDoneReceiving { get; set; }

    /// <summary>The host socket reached end of stream.</summary>
    public bool HostDoneSending { get; set; }

    /// <summary>The host socket hung up both ways: it reads nothing more either.</summary>
    public bool HostDoneReceiving { get; set; }

    /// <summary>epoll has reported a hang-up for the host socket.</summary>
    public bool HostHungUp { get; set; }

    /// <summary>The host socket's writing side is shut (after the guest's SEND shutdown).</summary>
    public bool HostWriteShut { get; set; }

    /// <summary>The shutdown flags already sent to the guest.</summary>
    public uint AnnouncedShutdown { get; set; }

    /// <summary>When it is reset unless it progresses (a Stopwatch timestamp); 0 for never.</summary>
    public long Deadline { get; set; }

    /// <summary>What epoll watches it for; registered only when not None.</summary>
    public EpollEvents Interest { get; set; }

    public bool Registered { get; set; }

    /// <summary>It waits in the device's round-robin of connections with data for the guest.</summary>
    public bool InSendQueue { get; set; }

    /// <summary>A CREDIT_UPDATE for it waits among the device's control packets.</summary>
    public bool CreditUpdateQueued { get; set; }

    /// <summary>What the guest can take now: peer_buf_alloc - (tx_cnt - peer_fwd_cnt), 0 when a
    /// guest that shrank its buffer is owed.</summary>
    public uint PeerCredit
    {
        get
        {
            uint inFlight = SentToGuest - PeerForwardCount;
            return inFlight >= PeerBufferAlloc ? 0 : PeerBufferAlloc - inFlight;
        }
    }

    /// <summary>Host bytes that may still be read: what the guest can take beyond what is staged,
    /// within the staging room.</summary>
    public int ReadBudget
    {
        get
        {
            long credit = (long)PeerCredit - ToGuest.Count;
            return (int)Math.Clamp(credit, 0, ToGuest.Free);
        }
    }

    /// <summary>Host bytes the guest should be sent now.</summary>
    public bool HasDataForGuest => State == VsockConnectionState.Established && !GuestDoneReceiving && ToGuest.Count > 0 && PeerCredit > 0;

    /// <summary>Bytes still to write to the host socket.</summary>
    public bool HasDataForHost => (Reply is not null && ReplySent < Reply.Length) || ToHost.Count > 0;
}
