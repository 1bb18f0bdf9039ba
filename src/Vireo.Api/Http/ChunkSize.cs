using System.Buffers;

namespace Vireo.Api.Http;

/// <summary>The size line of one chunk of a chunked body (RFC 9112 §7.1): hex digits, then
/// optional extensions after ';', which are ignored.</summary>
internal static class ChunkSize
{
    // Sixteen hex digits fill a ulong; a seventeenth overflows whatever its value.
    private const int MaxDigits = 16;

    private static readonly SearchValues<byte> s_hex = SearchValues.Create("0123456789abcdefABCDEF"u8);

    /// <summary>The chunk size on <paramref name="line"/> (without its CRLF); throws a 400 when the
    /// line is malformed or the size does not fit 64 bits.</summary>
    public static ulong Parse(ReadOnlySpan<byte> line, string endpoint)
    {
        int semicolon = line.IndexOf((byte)';');
        ReadOnlySpan<byte> digits = (semicolon < 0 ? line : line[..semicolon]).TrimEnd(" \t"u8);
        if (digits.IsEmpty || digits.ContainsAnyExcept(s_hex))
        {
            throw Malformed(endpoint, "a chunk size is not a hexadecimal number");
        }
        digits = digits.TrimStart((byte)'0');
        if (digits.Length > MaxDigits)
        {
            throw Malformed(endpoint, "a chunk size overflows 64 bits");
        }
        ulong size = 0;
        foreach (byte digit in digits)
        {
            size = (size << 4) | (uint)HexValue(digit);
        }
        if (semicolon >= 0 && ContainsControl(line[semicolon..]))
        {
            throw Malformed(endpoint, "a chunk extension has a control character");
        }
        return size;
    }

    public static BadHttpRequestException Malformed(string endpoint, string why) =>
        new(HttpStatus.BadRequest, $"the chunked request body of {endpoint} is malformed: {why}");

    private static int HexValue(byte digit) => digit switch
    {
        >= (byte)'0' and <= (byte)'9' => digit - '0',
        >= (byte)'a' and <= (byte)'f' => digit - 'a' + 10,
        _ => digit - 'A' + 10,
    };

    private static bool ContainsControl(ReadOnlySpan<byte> text)
    {
        foreach (byte b in text)
        {
            if ((b < 0x20 && b != (byte)'\t') || b == 0x7f)
            {
                return true;
            }
        }
        return false;
    }
}
