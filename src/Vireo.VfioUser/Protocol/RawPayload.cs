namespace Vireo.VfioUser;

/// <summary>Bytes already encoded (replies that echo a request, test and fuzz input).</summary>
public readonly record struct RawPayload(ReadOnlyMemory<byte> Bytes) : IVfioUserPayload
{
    /// <inheritdoc/>
    public int EncodedLength => Bytes.Length;

    /// <inheritdoc/>
    public void Encode(Span<byte> destination) => Bytes.Span.CopyTo(destination);
}
