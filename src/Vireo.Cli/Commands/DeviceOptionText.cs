using System.Globalization;

namespace Vireo.Cli;

/// <summary>The shape every device option shares: `TARGET[,key=value]...[,flag]...`, with `id=NAME`
/// and `slot=N` among the keys. One parser, so --vfio-user and --vfio say the same things the same way.</summary>
internal static class DeviceOptionText
{
    /// <summary>Splits <paramref name="value"/> into its target and settings.</summary>
    /// <param name="option">The option, for messages ("--vfio").</param>
    /// <param name="value">The option's value as typed.</param>
    /// <param name="syntax">Its syntax, for messages.</param>
    /// <param name="targetName">What the first word is, for messages ("the device server's socket").</param>
    /// <param name="keys">The keys it takes, each as shown in messages ("id=NAME"), and its flags ("readonly").</param>
    /// <exception cref="FormatException">Empty target, unknown or repeated key; the message says which.</exception>
    public static (string Target, Dictionary<string, string> Settings) Split(string option, string value, string syntax, string targetName, IReadOnlyList<string> keys)
    {
        string[] parts = value.Split(',');
        string target = parts[0];
        if (target.Trim().Length == 0)
        {
            throw new FormatException($"{option} takes {syntax} ({targetName} first), not '{value}'");
        }
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string part in parts.Skip(1))
        {
            int equals = part.IndexOf('=', StringComparison.Ordinal);
            // A key without '=' in keys is a flag ("readonly"), which takes no value.
            if (equals < 0 && part.Length > 0 && keys.Contains(part))
            {
                if (!settings.TryAdd(part, ""))
                {
                    throw new FormatException($"{option} '{value}' gives {part} twice");
                }
                continue;
            }
            string key = equals < 0 ? "" : part[..equals];
            if (!keys.Any(k => k.StartsWith(key + "=", StringComparison.Ordinal)) || key.Length == 0)
            {
                string choices = keys.Count == 1 ? keys[0] : string.Join(", ", keys.Take(keys.Count - 1)) + " or " + keys[^1];
                throw new FormatException($"{option} takes {syntax}; '{part}' in '{value}' is none of {choices}");
            }
            if (!settings.TryAdd(key, part[(equals + 1)..]))
            {
                throw new FormatException($"{option} '{value}' gives {key}= twice");
            }
        }
        return (target, settings);
    }

    /// <summary>The id=NAME setting: 1 to 32 letters, digits, '-' or '_'.</summary>
    public static string Id(string option, string setting)
        => setting.Length is >= 1 and <= 32 && setting.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')
            ? setting
            : throw new FormatException($"{option} id '{setting}' must be 1 to 32 letters, digits, '-' or '_'");

    /// <summary>The slot=N setting: 1 to 31.</summary>
    public static int Slot(string option, string setting)
        => int.TryParse(setting, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n is >= 1 and <= 31
            ? n
            : throw new FormatException($"{option} slot '{setting}' must be a PCI slot from 1 to 31 (0 is the host bridge's)");
}
