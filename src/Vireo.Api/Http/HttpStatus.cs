namespace Vireo.Api.Http;

/// <summary>The status codes this server answers with, and their reason phrases (RFC 9110 §15).</summary>
internal static class HttpStatus
{
    public const int Continue = 100;
    public const int Ok = 200;
    public const int NoContent = 204;
    public const int BadRequest = 400;
    public const int NotFound = 404;
    public const int MethodNotAllowed = 405;
    public const int RequestTimeout = 408;
    public const int Conflict = 409;
    public const int ContentTooLarge = 413;
    public const int UriTooLong = 414;
    public const int HeaderFieldsTooLarge = 431;
    public const int InternalServerError = 500;
    public const int NotImplemented = 501;
    public const int ServiceUnavailable = 503;
    public const int VersionNotSupported = 505;

    public static string Reason(int status) => status switch
    {
        Continue => "Continue",
        Ok => "OK",
        NoContent => "No Content",
        BadRequest => "Bad Request",
        NotFound => "Not Found",
        MethodNotAllowed => "Method Not Allowed",
        RequestTimeout => "Request Timeout",
        Conflict => "Conflict",
        ContentTooLarge => "Content Too Large",
        UriTooLong => "URI Too Long",
        HeaderFieldsTooLarge => "Request Header Fields Too Large",
        InternalServerError => "Internal Server Error",
        NotImplemented => "Not Implemented",
        ServiceUnavailable => "Service Unavailable",
        VersionNotSupported => "HTTP Version Not Supported",
        _ => "Status",
    };
}
