using System.Globalization;
using System.Text;

namespace Vireo.Acpi.Tests;

/// <summary>Expected-bytes notation for tests: hex bytes separated by spaces, and 'NAME' for
/// the ASCII bytes of a name segment, e.g. <c>"08 'INT0' 0A 05"</c>.</summary>
internal static class Bytes
{
    public static byte[] Of(string spec)
    {
        var bytes = new List<byte>();
        foreach (string token in spec.Split((char[])[' ', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries))
        {
            if (token.Length >= 2 && token[0] == '\'' && token[^1] == '\'')
            {
                bytes.AddRange(Encoding.ASCII.GetBytes(token[1..^1]));
            }
            else
            {
                bytes.Add(byte.Parse(token, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
            }
        }
        return [.. bytes];
    }

    public static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes);
}
