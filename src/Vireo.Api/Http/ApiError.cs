using Microsoft.AspNetCore.Http;

namespace Vireo.Api.Http;

/// <summary>Writes the <c>{"error": "..."}</c> answer.</summary>
internal static class ApiError
{
    public static async Task WriteAsync(HttpContext context, int statusCode, string message)
    {
        byte[] body = ApiJson.Serialize(new ErrorBody(message), ApiJsonContext.Default.ErrorBody);
        context.Response.StatusCode = statusCode;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = body.Length + 1;
        await context.Response.Body.WriteAsync(body, context.RequestAborted);
        await context.Response.Body.WriteAsync("\n"u8.ToArray(), context.RequestAborted);
    }
}
