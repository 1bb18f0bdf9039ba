namespace Vireo.Api.Http;

/// <summary>One request and its answer, as a handler sees them: the body is already read (every
/// body this API takes is small and bounded); the answer is either set whole with
/// <see cref="Respond"/> and written after the handler returns, or streamed after
/// <see cref="StartStreamAsync"/>.</summary>
internal sealed class HttpExchange
{
    private readonly HttpConnection _connection;

    public HttpExchange(HttpConnection connection, HttpRequestHead head, byte[] body, CancellationToken requestAborted)
    {
        _connection = connection;
        Head = head;
        Body = body;
        RequestAborted = requestAborted;
    }

    public HttpRequestHead Head { get; }

    public string Method => Head.Method;

    public string Path => Head.Path;

    /// <summary>"PUT /api/v1/vm.gpe", for messages.</summary>
    public string Endpoint => $"{Method} {Path}";

    public ReadOnlyMemory<byte> Body { get; }

    /// <summary>Fires when the client goes away while the answer streams, or the connection is aborted.</summary>
    public CancellationToken RequestAborted { get; }

    public int StatusCode { get; private set; } = HttpStatus.Ok;

    public string? ContentType { get; private set; }

    public ReadOnlyMemory<byte> ResponseBody { get; private set; }

    /// <summary>The Allow header of a 405.</summary>
    public string? Allow { get; private set; }

    /// <summary>Whether the answer's head has been sent (a stream has started).</summary>
    public bool HasStarted { get; private set; }

    /// <summary>Sets the whole answer; the connection writes it once the handler returns.</summary>
    public void Respond(int statusCode, string? contentType, ReadOnlyMemory<byte> body, string? allow = null)
    {
        if (HasStarted)
        {
            throw new InvalidOperationException("the answer is already streaming");
        }
        StatusCode = statusCode;
        ContentType = contentType;
        ResponseBody = body;
        Allow = allow;
    }

    /// <summary>Sends a 200 head for a body of unknown length (chunked on HTTP/1.1); write it
    /// with <see cref="WriteStreamAsync"/>. The connection closes when the handler returns.</summary>
    public async Task StartStreamAsync(string contentType, CancellationToken cancellationToken)
    {
        StatusCode = HttpStatus.Ok;
        ContentType = contentType;
        HasStarted = true;
        await _connection.StartStreamAsync(this, cancellationToken);
    }

    /// <summary>Sends one piece of a streamed answer; awaits while the client reads slowly.</summary>
    public ValueTask WriteStreamAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        _connection.WriteStreamAsync(data, cancellationToken);
}
