namespace Vireo.VfioUser;

/// <summary>A message body that encodes itself into an exactly sized buffer.</summary>
public interface IVfioUserPayload
{
    /// <summary>The payload's exact size in bytes.</summary>
    int EncodedLength { get; }

    /// <summary>Writes the payload, little-endian as the protocol requires.</summary>
    /// <param name="destination">Exactly <see cref="EncodedLength"/> bytes.</param>
    void Encode(Span<byte> destination);
}
