using System.Globalization;

namespace Vireo.Agent;

/// <summary>PCI addresses as sysfs names them: domain:bus:device.function, 0000:00:03.0.</summary>
public static class PciAddressText
{
    /// <summary>The canonical form (lower-case hex, the domain added when missing) of
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
        string bus = parts[^2];
        string[] slot = parts[^1].Split('.');
        if (slot.Length != 2
            || !Hex(domain, 4, 0xffff, out uint d)
            || !Hex(bus, 2, 0xff, out uint b)
            || !Hex(slot[0], 2, 0x1f, out uint s)
            || !Hex(slot[1], 1, 7, out uint f))
        {
            return null;
        }
        return string.Create(CultureInfo.InvariantCulture, $"{d:x4}:{b:x2}:{s:x2}.{f:x1}");
    }

    private static bool Hex(string text, int maxDigits, uint max, out uint value)
    {
        value = 0;
        return text.Length >= 1 && text.Length <= maxDigits
            && uint.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value)
            && value <= max;
    }
}
