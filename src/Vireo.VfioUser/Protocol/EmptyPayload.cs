namespace Vireo.VfioUser;

/// <summary>No payload: DEVICE_RESET, and the replies that carry none.</summary>
public readonly record struct EmptyPayload : IVfioUserPayload
{
    public int EncodedLength => 0;

    public void Encode(Span<byte> destination)
    {
    }
}
