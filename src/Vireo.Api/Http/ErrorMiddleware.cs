using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Vireo.Api.Http;

/// <summary>Outermost middleware: turns every failure into a JSON error, so no request can take
/// the server down and every 4xx/5xx (routing's 404 and 405 included) has a body.</summary>
internal sealed class ErrorMiddleware(RequestDelegate next, TextWriter? log)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (Exception) when (context.RequestAborted.IsCancellationRequested)
        {
            return; // The client went away; nobody to answer.
        }
        catch (Exception e)
        {
            (int status, string message) = Classify(e, context);
            if (status >= 500)
            {
                log?.WriteLine($"vireo api: {context.Request.Method} {context.Request.Path}: {e}");
            }
            if (context.Response.HasStarted)
            {
                context.Abort(); // Mid-stream: the only honest signal left is to cut the connection.
                return;
            }
            context.Response.Clear();
            await ApiError.WriteAsync(context, status, message);
            return;
        }
        if (!context.Response.HasStarted && context.Response.StatusCode >= 400)
        {
            await ApiError.WriteAsync(context, context.Response.StatusCode, DefaultMessage(context));
        }
    }

    private static (int Status, string Message) Classify(Exception e, HttpContext context) => e switch
    {
        ApiRequestException r => (r.StatusCode, r.Message),
        BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } =>
            (StatusCodes.Status413PayloadTooLarge, $"request body too large: {Endpoint(context)} takes at most {context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize} bytes"),
        BadHttpRequestException b => (b.StatusCode, $"bad request: {b.Message}"),
        VmStateException s => (StatusCodes.Status409Conflict, s.Message),
        ArgumentException a => (StatusCodes.Status400BadRequest, ArgumentMessage.For(a)),
        NotSupportedException n => (StatusCodes.Status501NotImplemented, n.Message),
        _ => (StatusCodes.Status500InternalServerError, $"internal error in the VMM while serving {Endpoint(context)}: {e.GetType().Name}: {e.Message}"),
    };

    private static string DefaultMessage(HttpContext context)
    {
        int status = context.Response.StatusCode;
        string allow = context.Response.Headers.Allow.ToString();
        return status switch
        {
            StatusCodes.Status404NotFound =>
                $"no endpoint {context.Request.Path}; the endpoints are listed by GET {ApiPaths.OpenApi}",
            StatusCodes.Status405MethodNotAllowed => allow.Length > 0
                ? $"{context.Request.Method} is not allowed on {context.Request.Path}; use {allow}"
                : $"{context.Request.Method} is not allowed on {context.Request.Path}",
            _ => $"HTTP {status} from {Endpoint(context)}",
        };
    }

    private static string Endpoint(HttpContext context) => $"{context.Request.Method} {context.Request.Path}";
}
