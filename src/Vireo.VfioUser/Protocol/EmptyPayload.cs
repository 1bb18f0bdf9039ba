namespace Vireo.VfioUser;

/// <summary>No payload: DEVICE_RESET, and the replies that carry none.</summary>
public readonly record struct EmptyPayload : IVfioUserPayload
{
    /// <inheritdoc/>
    public int EncodedLength => 0;

    /// <inheritdoc/>
    public void Encode(Span<byte> destination)
    {
    }
}
