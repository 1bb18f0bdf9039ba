using System.Globalization;

namespace Vireo.Vfio;

/// <summary>PCI addresses as sysfs names them: domain:bus:device.function, 0000:00:03.0 (the
/// domain may be left out for 0, and has 4 to 8 hex digits, as Linux's VMD domains do).</summary>
public static class PciAddressText
{
    /// <summary>The canonical form (lower-case hex, the domain 0000 added when missing) of
    /// <paramref name="text"/>, or null when it is not a PCI address.</summary>
    public static string? Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string[] parts = text.Split(':');
        if (parts.Length is < 2 or > 3)
        {
            return null;
        }
        string domain = parts.Length == 3 ? parts[0] : "0000";
        string[] slot = parts[^1].Split('.');
        if (domain.Length is < 4 or > 8
            || slot.Length != 2
            || !Hex(domain, out uint d)
            || parts[^2].Length != 2 || !Hex(parts[^2], out uint b)
            || slot[0].Length != 2 || !Hex(slot[0], out uint s) || s > 0x1f
            || slot[1].Length != 1 || !Hex(slot[1], out uint f) || f > 7)
        {
            return null;
        }
        return string.Create(CultureInfo.InvariantCulture, $"{d:x4}:{b:x2}:{s:x2}.{f:x1}");
    }

    private static bool Hex(string text, out uint value)
        => uint.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
}
