using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;

namespace Vireo.Api.Http;

/// <summary>Writes JSON answers: one line each, newline-terminated.</summary>
internal static class ApiJson
{
    public const string ContentType = "application/json";

    // Nothing here lands in HTML, so quotes and apostrophes in messages stay readable
    // instead of becoming \u0022.
    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static async Task WriteAsync<T>(HttpContext context, T value, JsonTypeInfo<T> type) =>
        await WriteAsync(context, Serialize(value, type));

    public static async Task WriteAsync(HttpContext context, ReadOnlyMemory<byte> json)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = ContentType;
        context.Response.ContentLength = json.Length + 1;
        await context.Response.Body.WriteAsync(json, context.RequestAborted);
        await context.Response.Body.WriteAsync("\n"u8.ToArray(), context.RequestAborted);
    }

    public static byte[] Serialize<T>(T value, JsonTypeInfo<T> type)
    {
        var buffer = new ArrayBufferWriter<byte>();
        Write(buffer, value, type);
        return buffer.WrittenSpan.ToArray();
    }

    public static void Write<T>(IBufferWriter<byte> output, T value, JsonTypeInfo<T> type)
    {
        using var writer = new Utf8JsonWriter(output, WriterOptions);
        JsonSerializer.Serialize(writer, value, type);
    }
}
