using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Vireo.Api.Http;

/// <summary>Reads a small JSON request body (already read and size-checked by the connection),
/// turning every way it can be wrong into a 4xx.</summary>
internal static class RequestBody
{
    /// <summary>The body, or null when it is empty (all optional fields take their defaults).</summary>
    public static T? ReadOptional<T>(HttpExchange exchange, JsonTypeInfo<T> type, string example)
        where T : class =>
        IsBlank(exchange.Body.Span) ? null : Parse(exchange, type, example);

    public static T ReadRequired<T>(HttpExchange exchange, JsonTypeInfo<T> type, string example)
        where T : class =>
        IsBlank(exchange.Body.Span)
            ? throw new ApiRequestException(HttpStatus.BadRequest, $"{exchange.Path} needs a JSON body like {example}")
            : Parse(exchange, type, example);

    public static void RequireEmpty(HttpExchange exchange)
    {
        if (!IsBlank(exchange.Body.Span))
        {
            throw new ApiRequestException(HttpStatus.BadRequest, $"{exchange.Path} takes no request body");
        }
    }

    private static T Parse<T>(HttpExchange exchange, JsonTypeInfo<T> type, string example)
        where T : class
    {
        JsonBodyCheck.Validate(exchange.Body.Span, type, exchange.Path, example);
        try
        {
            return JsonSerializer.Deserialize(exchange.Body.Span, type)
                ?? throw new ApiRequestException(HttpStatus.BadRequest,
                    $"{exchange.Path} takes a JSON object like {example}, not null");
        }
        catch (JsonException)
        {
            // The check above covers every shape the request types accept; this is a backstop
            // that still answers in the API's words rather than the serializer's.
            throw new ApiRequestException(HttpStatus.BadRequest,
                $"invalid body for {exchange.Path}; send a JSON object like {example}");
        }
    }

    private static bool IsBlank(ReadOnlySpan<byte> body) => body.Trim(" \t\r\n"u8).IsEmpty;
}
