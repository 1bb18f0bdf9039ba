using System.Globalization;

namespace Vireo.Cli;

/// <summary>Memory sizes as people write them: 512M, 2G, 1T, 1536MiB, or plain bytes.</summary>
internal static class SizeParser
{
    public static bool TryParse(string text, out ulong bytes)
    {
        bytes = 0;
        string t = text.Trim();
        ulong unit = 1;
        string[] suffixes = ["KiB", "MiB", "GiB", "TiB", "K", "M", "G", "T"];
        foreach (string suffix in suffixes)
        {
            if (t.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                unit = char.ToUpperInvariant(suffix[0]) switch { 'K' => 1UL << 10, 'M' => 1UL << 20, 'G' => 1UL << 30, _ => 1UL << 40 };
                t = t[..^suffix.Length];
                break;
            }
        }
        if (!ulong.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out ulong value) || value == 0)
        {
            return false;
        }
        if (value > ulong.MaxValue / unit)
        {
            return false;
        }
        bytes = value * unit;
        return true;
    }
}
