namespace Vireo.Api.Http;

/// <summary>What the server needs of a request's line and headers; the rest of the headers are
/// checked for well-formedness and dropped.</summary>
internal sealed record HttpRequestHead
{
    public required string Method { get; init; }

    /// <summary>The path of the request target, without its query; not decoded, so a path with
    /// escapes or dot segments matches no route.</summary>
    public required string Path { get; init; }

    /// <summary>HTTP/1.1 (else HTTP/1.0).</summary>
    public required bool IsHttp11 { get; init; }

    /// <summary>The Content-Length header, if given.</summary>
    public long? ContentLength { get; init; }

    /// <summary>Transfer-Encoding: chunked.</summary>
    public bool Chunked { get; init; }

    /// <summary>Whether the client lets the connection carry another request after this one.</summary>
    public bool KeepAlive { get; init; }

    /// <summary>Expect: 100-continue: the client waits for a 100 before it sends the body.</summary>
    public bool ExpectContinue { get; init; }

    public bool HasBody => Chunked || ContentLength > 0;
}
