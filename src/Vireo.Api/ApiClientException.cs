namespace Vireo.Api;

/// <summary>A call to the management API failed. <see cref="StatusCode"/> is the HTTP status when
/// the server answered (the message is its JSON error), or null when no server could be reached
/// (the message says how to start one).</summary>
public sealed class ApiClientException : Vireo.Sys.VireoException
{
    public ApiClientException(string message, int? statusCode = null, Exception? innerException = null)
        : base(message, innerException)
    {
        StatusCode = statusCode;
    }

    public ApiClientException()
        : base("the Vireo API call failed")
    {
    }

    public ApiClientException(string message)
        : base(message)
    {
    }

    public ApiClientException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public int? StatusCode { get; }
}
