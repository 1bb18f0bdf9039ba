namespace Vireo.Api.Http;

/// <summary>The request itself is wrong; answered with <see cref="StatusCode"/> (4xx) and the
/// message, which says what a valid request looks like.</summary>
internal sealed class ApiRequestException(int statusCode, string message) : Exception(message)
{
    public int StatusCode { get; } = statusCode;
}
