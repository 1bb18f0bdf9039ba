using System.Globalization;

namespace Vireo.Cli;

/// <summary>One `vireo run --vfio-user SOCKET[,id=NAME][,slot=N]`.</summary>
/// <param name="Socket">The device server's UNIX socket.</param>
/// <param name="Id">The device's name in vm.info and events.</param>
/// <param name="Slot">The PCI slot, 1 to 31, or null for the lowest free one.</param>
internal sealed record VfioUserDeviceOption(string Socket, string Id, int? Slot)
{
    public const string Syntax = "SOCKET[,id=NAME][,slot=N]";

    /// <summary>The id a device gets when none is given: by position among the --vfio-user options.</summary>
    public static string DefaultId(int position) => string.Create(CultureInfo.InvariantCulture, $"vfio-user{position}");

    /// <summary>Every --vfio-user value, in order; ids and slots must differ between devices.</summary>
    /// <exception cref="FormatException">A value is malformed or clashes with another; the message says which.</exception>
    public static IReadOnlyList<VfioUserDeviceOption> ParseAll(IReadOnlyList<string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var devices = new List<VfioUserDeviceOption>();
        for (int i = 0; i < values.Count; i++)
        {
            VfioUserDeviceOption device = Parse(values[i], i);
            if (devices.Any(d => d.Socket == device.Socket))
            {
                throw new FormatException($"--vfio-user socket {device.Socket} is given twice; a device server serves one VMM");
            }
            if (devices.Any(d => d.Id == device.Id))
            {
                throw new FormatException($"--vfio-user id '{device.Id}' is given twice; give each device its own id=NAME");
            }
            if (device.Slot is int slot && devices.Any(d => d.Slot == slot))
            {
                throw new FormatException($"--vfio-user slot {slot} is given twice; give each device its own slot=N or leave it out");
            }
            devices.Add(device);
        }
        return devices;
    }

    private static VfioUserDeviceOption Parse(string value, int position)
    {
        string[] parts = value.Split(',');
        string socket = parts[0];
        if (socket.Trim().Length == 0)
        {
            throw new FormatException($"--vfio-user takes {Syntax} (the device server's socket first), not '{value}'");
        }
        string? id = null;
        int? slot = null;
        foreach (string part in parts.Skip(1))
        {
            int equals = part.IndexOf('=', StringComparison.Ordinal);
            string key = equals < 0 ? "" : part[..equals];
            string setting = part[(equals + 1)..];
            switch (key)
            {
                case "id" when id is null:
                    id = IsValidId(setting) ? setting : throw new FormatException($"--vfio-user id '{setting}' must be 1 to 32 letters, digits, '-' or '_'");
                    break;
                case "slot" when slot is null:
                    slot = int.TryParse(setting, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n is >= 1 and <= 31
                        ? n
                        : throw new FormatException($"--vfio-user slot '{setting}' must be a PCI slot from 1 to 31 (0 is the host bridge's)");
                    break;
                case "id" or "slot":
                    throw new FormatException($"--vfio-user '{value}' gives {key}= twice");
                default:
                    throw new FormatException($"--vfio-user takes {Syntax}; '{part}' in '{value}' is none of id=NAME or slot=N");
            }
        }
        return new VfioUserDeviceOption(socket, id ?? DefaultId(position), slot);
    }

    private static bool IsValidId(string id) =>
        id.Length is >= 1 and <= 32 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
}
