namespace Vireo.Api;

/// <summary>Limits and knobs of <see cref="ApiServer"/>; the defaults suit a VMM.</summary>
public sealed record ApiServerOptions
{
    /// <summary>The default of <see cref="MaxRequestBodyBytes"/>.</summary>
    public const int DefaultMaxRequestBodyBytes = 4096;

    /// <summary>Largest request body accepted; larger ones get 413. Every body in this API is a
    /// tiny JSON object.</summary>
    public int MaxRequestBodyBytes { get; init; } = DefaultMaxRequestBodyBytes;

    /// <summary>Events buffered per <c>vm.events</c> client before it starts losing them.</summary>
    public int EventBufferCapacity { get; init; } = VmEventHub.DefaultCapacity;

    /// <summary>Connections open at once, event streams included. A new connection beyond this
    /// closes the one idle longest (no request in progress), so idle or stalled clients cannot lock
    /// the API out; only when every connection is serving a request is the new one refused (503).</summary>
    public int MaxConnections { get; init; } = 64;

    /// <summary>Where internal errors (5xx) are described; null keeps the server silent, since the
    /// guest console owns the VMM's stdout.</summary>
    public TextWriter? ErrorLog { get; init; }

    /// <summary>The permission bits <see cref="SocketMode"/> may hold: read and write for owner,
    /// group and others (connecting to a UNIX socket needs write permission).</summary>
    public const UnixFileMode SocketModeBits =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;

    /// <summary>Mode of the API socket file, in place before the socket is reachable; the default
    /// 0600 lets only the VMM's user drive it. Use 0660 with <see cref="SocketGroupId"/> to admit a
    /// group. Read/write bits only.</summary>
    public UnixFileMode SocketMode { get; init; } = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Numeric owner (uid) to give the socket file; null keeps the VMM's user. Changing
    /// it needs CAP_CHOWN; the server refuses to start if it cannot.</summary>
    public uint? SocketUserId { get; init; }

    /// <summary>Numeric group (gid) to give the socket file; null keeps the VMM's group. A user may
    /// choose any group it belongs to; the server refuses to start if it cannot.</summary>
    public uint? SocketGroupId { get; init; }

    /// <summary>Reported by <c>vmm.ping</c>; defaults to Vireo.Api's assembly version.</summary>
    public string? Version { get; init; }

    /// <summary>From a request's first byte (or a new connection's accept) to the end of its
    /// body; every request this API takes fits in one small write, so a slower client is stalled
    /// or hostile. Tests shorten it.</summary>
    internal TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a connection may idle between requests: `vireo remote` opens one per
    /// command, so keep-alive only spares reconnecting within one burst. Tests shorten it.</summary>
    internal TimeSpan KeepAliveTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
