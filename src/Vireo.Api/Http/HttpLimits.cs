namespace Vireo.Api.Http;

/// <summary>What one connection may cost the server. Every request this API takes fits in one
/// small write, so the limits are tight.</summary>
internal sealed record HttpLimits
{
    /// <summary>The request line, CRLF included.</summary>
    public int MaxRequestLineBytes { get; init; } = 4 * 1024;

    /// <summary>All header lines together, CRLFs and the empty line included.</summary>
    public int MaxHeaderBytes { get; init; } = 16 * 1024;

    /// <summary>Largest request body; larger ones get 413.</summary>
    public int MaxBodyBytes { get; init; } = ApiServerOptions.DefaultMaxRequestBodyBytes;

    /// <summary>From a request's first byte (or a new connection's accept) to the end of its body,
    /// and again for its answer to be taken: a client slower than this is stalled or hostile.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a connection may sit idle between requests; `vireo remote` opens one per
    /// command, so keep-alive only spares reconnecting within one burst.</summary>
    public TimeSpan KeepAliveTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>After an answer that closes the connection, how long unread request bytes are
    /// drained so the client reads the answer rather than a reset.</summary>
    public TimeSpan LingerTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The most bytes drained in <see cref="LingerTimeout"/>.</summary>
    public int MaxLingerBytes { get; init; } = 256 * 1024;

    /// <summary>The most a head (request line and headers) can take in the read buffer.</summary>
    public int MaxHeadBytes => MaxRequestLineBytes + MaxHeaderBytes;
}
