using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Vireo.Api.Http;

/// <summary>JSON answers: one line each, newline-terminated.</summary>
internal static class ApiJson
{
    public const string ContentType = "application/json";

    // Nothing here lands in HTML, so quotes and apostrophes in messages stay readable
    // instead of becoming \u0022.
    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void Respond<T>(HttpExchange exchange, T value, JsonTypeInfo<T> type) =>
        exchange.Respond(HttpStatus.Ok, ContentType, Serialize(value, type));

    /// <summary><paramref name="value"/> as one line of JSON, newline included.</summary>
    public static byte[] Serialize<T>(T value, JsonTypeInfo<T> type)
    {
        var buffer = new ArrayBufferWriter<byte>();
        Write(buffer, value, type);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Appends <paramref name="value"/> and a newline to <paramref name="output"/>.</summary>
    public static void Write<T>(IBufferWriter<byte> output, T value, JsonTypeInfo<T> type)
    {
        using (var writer = new Utf8JsonWriter(output, WriterOptions))
        {
            JsonSerializer.Serialize(writer, value, type);
        }
        output.Write("\n"u8);
    }
}
