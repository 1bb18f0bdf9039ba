namespace Vireo.Api.Http;

/// <summary>The OpenAPI description shipped inside the assembly (openapi.json).</summary>
internal static class OpenApiDocument
{
    public const string ResourceName = "Vireo.Api.openapi.json";

    private static readonly Lazy<byte[]> s_bytes = new(Load);

    public static ReadOnlyMemory<byte> Bytes => s_bytes.Value;

    private static byte[] Load()
    {
        using Stream stream = typeof(OpenApiDocument).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"embedded resource {ResourceName} is missing from {typeof(OpenApiDocument).Assembly.GetName().Name}");
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }
}
