using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Vireo.Api.Http;

/// <summary>Reads a small JSON request body, turning every way it can be wrong into a 4xx.</summary>
internal static class RequestBody
{
    /// <summary>The body, or null when it is empty (all optional fields take their defaults).</summary>
    public static async Task<T?> ReadOptionalAsync<T>(HttpContext context, JsonTypeInfo<T> type, string example)
        where T : class
    {
        byte[] body = await ReadAllAsync(context);
        if (IsBlank(body))
        {
            return null;
        }
        return Parse(body, type, context, example);
    }

    public static async Task<T> ReadRequiredAsync<T>(HttpContext context, JsonTypeInfo<T> type, string example)
        where T : class
    {
        byte[] body = await ReadAllAsync(context);
        if (IsBlank(body))
        {
            throw new ApiRequestException(StatusCodes.Status400BadRequest,
                $"{context.Request.Path} needs a JSON body like {example}");
        }
        return Parse(body, type, context, example);
    }

    public static async Task RequireEmptyAsync(HttpContext context)
    {
        byte[] body = await ReadAllAsync(context);
        if (!IsBlank(body))
        {
            throw new ApiRequestException(StatusCodes.Status400BadRequest,
                $"{context.Request.Path} takes no request body");
        }
    }

    private static T Parse<T>(byte[] body, JsonTypeInfo<T> type, HttpContext context, string example)
        where T : class
    {
        JsonBodyCheck.Validate(body, type, context.Request.Path, example);
        try
        {
            return JsonSerializer.Deserialize(body, type)
                ?? throw new ApiRequestException(StatusCodes.Status400BadRequest,
                    $"{context.Request.Path} takes a JSON object like {example}, not null");
        }
        catch (JsonException)
        {
            // The check above covers every shape the request types accept; this is a backstop
            // that still answers in the API's words rather than the serializer's.
            throw new ApiRequestException(StatusCodes.Status400BadRequest,
                $"invalid body for {context.Request.Path}; send a JSON object like {example}");
        }
    }

    private static async Task<byte[]> ReadAllAsync(HttpContext context)
    {
        long limit = context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize ?? ApiServerOptions.DefaultMaxRequestBodyBytes;
        using var buffer = new MemoryStream();
        byte[] chunk = new byte[1024];
        int read;
        while ((read = await ReadAsync(context, chunk)) > 0)
        {
            // Kestrel enforces the limit too; this also covers hosts that do not.
            if (buffer.Length + read > limit)
            {
                throw new ApiRequestException(StatusCodes.Status413PayloadTooLarge,
                    $"request body too large: {context.Request.Path} takes at most {limit} bytes");
            }
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    private static async Task<int> ReadAsync(HttpContext context, byte[] chunk)
    {
        try
        {
            return await context.Request.Body.ReadAsync(chunk, context.RequestAborted);
        }
        catch (IOException e) when (e is not BadHttpRequestException && !context.RequestAborted.IsCancellationRequested)
        {
            // Kestrel reports a chunk size that overflows as a plain IOException ("Bad chunk size
            // data."): the client's framing is wrong, so it is a 400, not a VMM failure.
            string framing = context.Request.Headers.TransferEncoding.Count > 0 ? "chunked " : "";
            throw new ApiRequestException(StatusCodes.Status400BadRequest,
                $"the {framing}request body of {context.Request.Path} is malformed: {e.Message.TrimEnd('.')}");
        }
    }

    private static bool IsBlank(byte[] body) => body.AsSpan().Trim(" \t\r\n"u8).IsEmpty;
}
