using System.Text;

namespace Vireo.VfioUser;

/// <summary>VERSION request and reply (vfio-user.rst "VFIO_USER_VERSION"): u16 major, u16 minor,
/// then optional UTF-8 JSON capabilities with a terminating NUL.</summary>
public readonly record struct VersionPayload(ushort Major, ushort Minor, string? Capabilities) : IVfioUserPayload
{
    private const int FixedSize = 4;

    /// <inheritdoc/>
    public int EncodedLength => FixedSize + (Capabilities is null ? 0 : Encoding.UTF8.GetByteCount(Capabilities) + 1);

    /// <inheritdoc/>
    public void Encode(Span<byte> destination)
    {
        var writer = new PayloadWriter(destination);
        writer.U16(Major);
        writer.U16(Minor);
        if (Capabilities is not null)
        {
            int n = Encoding.UTF8.GetBytes(Capabilities, destination[FixedSize..]);
            destination[FixedSize + n] = 0;
        }
    }

    /// <summary>Parses a received VersionPayload.</summary>
    /// <param name="payload">The message payload.</param>
    /// <exception cref="VfioUserException">The payload is too short or its fields are inconsistent (EINVAL).</exception>
    public static VersionPayload Decode(ReadOnlySpan<byte> payload)
    {
        var reader = new PayloadReader(payload);
        ushort major = reader.U16();
        ushort minor = reader.U16();
        ReadOnlySpan<byte> json = reader.Rest();
        if (json.IsEmpty)
        {
            return new VersionPayload(major, minor, null);
        }
        // The string must be NUL-terminated and hold no other NUL (libvfio-user tran.c checks both).
        int nul = json.IndexOf((byte)0);
        if (nul != json.Length - 1)
        {
            throw new VfioUserException(Sys.Errno.EINVAL, "version capabilities are not a NUL-terminated string");
        }
        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(json[..nul]);
        }
        catch (DecoderFallbackException)
        {
            throw new VfioUserException(Sys.Errno.EINVAL, "version capabilities are not UTF-8");
        }
        return new VersionPayload(major, minor, text);
    }
}
