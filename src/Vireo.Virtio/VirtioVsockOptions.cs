namespace Vireo.Virtio;

/// <summary>The limits of a <see cref="VirtioVsock"/>'s host bridge; the defaults suit a
/// machine, tests shrink them.</summary>
public sealed record VirtioVsockOptions
{
    /// <summary>buf_alloc: the bytes of guest data the device holds per connection for a host
    /// socket that is slow to read (§5.10.6.3), and so the most a guest may send ahead.
    /// 4 KiB to 64 MiB; 256 KiB by default, Linux's own default.</summary>
    public int BufferSize { get; init; } = 256 * 1024;

    /// <summary>How long a host program has from connecting to the listening socket until the
    /// guest accepts: its <c>CONNECT</c> line and the guest's answer together. 5 s by default.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a connection that one side has shut completely waits for the rest of a
    /// clean close (the guest's RST, or a host socket draining the last guest data) before it is
    /// reset. 8 s by default, Linux's VSOCK_CLOSE_TIMEOUT.</summary>
    public TimeSpan CloseTimeout { get; init; } = TimeSpan.FromSeconds(8);

    /// <summary>The most connections at once, those still in their handshake included; a host
    /// program past it is closed at once and a guest request past it gets RST. 1024 by default.</summary>
    public int MaxConnections { get; init; } = 1024;
}
