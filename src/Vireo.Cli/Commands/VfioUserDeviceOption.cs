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
        (string socket, Dictionary<string, string> settings) = DeviceOptionText.Split(
            "--vfio-user", value, Syntax, "the device server's socket", ["id=NAME", "slot=N"]);
        return new VfioUserDeviceOption(
            socket,
            settings.TryGetValue("id", out string? id) ? DeviceOptionText.Id("--vfio-user", id) : DefaultId(position),
            settings.TryGetValue("slot", out string? slot) ? DeviceOptionText.Slot("--vfio-user", slot) : null);
    }
}
