namespace Vireo.VfioUser;

/// <summary>A message body that encodes itself into an exactly sized buffer.</summary>
public interface IVfioUserPayload
{
    int EncodedLength { get; }

    void Encode(Span<byte> destination);
}
