namespace Vireo.Api.Http;

/// <summary>The API's words for every failure, so each 4xx/5xx (routing's 404 and 405 included)
/// has a JSON body that says what a valid request looks like.</summary>
internal static class ApiErrors
{
    public static (int Status, string Message) Classify(Exception e, HttpExchange exchange) => e switch
    {
        ApiRequestException r => (r.StatusCode, r.Message),
        BadHttpRequestException p => (p.StatusCode, p.Message),
        VmStateException s => (HttpStatus.Conflict, s.Message),
        ArgumentException a => (HttpStatus.BadRequest, ArgumentMessage.For(a)),
        NotSupportedException n => (HttpStatus.NotImplemented, n.Message),
        _ => (HttpStatus.InternalServerError, $"internal error in the VMM while serving {exchange.Endpoint}: {e.GetType().Name}: {e.Message}"),
    };

    public static string NotFound(string path) =>
        $"no endpoint {path}; the endpoints are listed by GET {ApiPaths.OpenApi}";

    public static string MethodNotAllowed(string method, string path, string allow) =>
        $"{method} is not allowed on {path}; use {allow}";
}
