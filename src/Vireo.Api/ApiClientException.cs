namespace Vireo.Api;

/// <summary>A call to the management API failed. <see cref="StatusCode"/> is the HTTP status when
/// the server answered (the message is its JSON error), or null when no server could be reached
/// (the message says how to start one).</summary>
public sealed class ApiClientException : Vireo.Sys.VireoException
{
    /// <summary>A failed call, with the server's HTTP status when it answered.</summary>
    /// <param name="message">What went wrong, fit to show the user.</param>
    /// <param name="statusCode">The HTTP status; null when no server answered.</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    public ApiClientException(string message, int? statusCode = null, Exception? innerException = null)
        : base(message, innerException)
    {
        StatusCode = statusCode;
    }

    /// <summary>A failed call with a generic message.</summary>
    public ApiClientException()
        : base("the Vireo API call failed")
    {
    }

    /// <summary>A failed call without an HTTP status.</summary>
    /// <param name="message">What went wrong, fit to show the user.</param>
    public ApiClientException(string message)
        : base(message)
    {
    }

    /// <summary>A failed call without an HTTP status, with the underlying failure.</summary>
    /// <param name="message">What went wrong, fit to show the user.</param>
    /// <param name="innerException">The underlying failure.</param>
    public ApiClientException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The HTTP status the server answered with; null when no server could be reached.</summary>
    public int? StatusCode { get; }
}
