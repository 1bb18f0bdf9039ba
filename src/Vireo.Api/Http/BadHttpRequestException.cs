namespace Vireo.Api.Http;

/// <summary>The client broke HTTP/1.1 itself (framing, limits, timing): answered with
/// <see cref="StatusCode"/> and the message, then the connection is closed, since what follows
/// on it can no longer be trusted to start a request.</summary>
internal sealed class BadHttpRequestException(int statusCode, string message) : Exception(message)
{
    public int StatusCode { get; } = statusCode;
}
