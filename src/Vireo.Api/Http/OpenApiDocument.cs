namespace Vireo.Api.Http;

/// <summary>The OpenAPI description shipped inside the assembly (openapi.json).</summary>
internal static class OpenApiDocument
{
    public const string ResourceName = "Vireo.Api.openapi.json";

    private static readonly Lazy<byte[]> s_bytes = new(Load);

    private static readonly Lazy<byte[]> s_answer = new(() => [.. s_bytes.Value, (byte)'\n']);

    public static ReadOnlyMemory<byte> Bytes => s_bytes.Value;

    /// <summary>The document as served: newline-terminated like every JSON answer.</summary>
    public static ReadOnlyMemory<byte> Answer => s_answer.Value;

    private static byte[] Load()
    {
        using Stream stream = typeof(OpenApiDocument).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"embedded resource {ResourceName} is missing from {typeof(OpenApiDocument).Assembly.GetName().Name}");
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }
}
