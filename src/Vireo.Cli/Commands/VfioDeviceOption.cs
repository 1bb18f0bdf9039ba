using System.Globalization;
using Vireo.Vfio;

namespace Vireo.Cli;

/// <summary>One `vireo run --vfio DEVICE[,id=NAME][,slot=N][,backend=auto|group|iommufd]`: a host
/// PCI device assigned through the kernel's VFIO.</summary>
/// <param name="Device">A PCI address (0000:01:00.0) or sysfs device path.</param>
/// <param name="Id">The device's name in vm.info and events.</param>
/// <param name="Slot">The PCI slot, 1 to 31, or null for the lowest free one.</param>
/// <param name="Backend">Auto (iommufd where the kernel has it), or the one to use.</param>
internal sealed record VfioDeviceOption(string Device, string Id, int? Slot, VfioBackendKind Backend)
{
    public const string Syntax = "DEVICE[,id=NAME][,slot=N][,backend=auto|group|iommufd]";

    /// <summary>The id a device gets when none is given: by position among the --vfio options.</summary>
    public static string DefaultId(int position) => string.Create(CultureInfo.InvariantCulture, $"vfio{position}");

    /// <summary>The backend's name as the agent protocol and messages spell it.</summary>
    public string BackendName => Backend switch
    {
        VfioBackendKind.Group => "group",
        VfioBackendKind.Iommufd => "iommufd",
        _ => "auto",
    };

    /// <summary>Every --vfio value, in order; devices and ids must differ between them.</summary>
    /// <exception cref="FormatException">A value is malformed or clashes with another; the message says which.</exception>
    public static IReadOnlyList<VfioDeviceOption> ParseAll(IReadOnlyList<string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var devices = new List<VfioDeviceOption>();
        for (int i = 0; i < values.Count; i++)
        {
            VfioDeviceOption device = Parse(values[i], i);
            if (devices.Any(d => d.Device == device.Device))
            {
                throw new FormatException($"--vfio device {device.Device} is given twice; a device is assigned once");
            }
            if (devices.Any(d => d.Id == device.Id))
            {
                throw new FormatException($"--vfio id '{device.Id}' is given twice; give each device its own id=NAME");
            }
            devices.Add(device);
        }
        return devices;
    }

    private static VfioDeviceOption Parse(string value, int position)
    {
        (string device, Dictionary<string, string> settings) = DeviceOptionText.Split(
            "--vfio", value, Syntax, "the host device's PCI address or sysfs path", ["id=NAME", "slot=N", "backend=auto|group|iommufd"]);
        VfioBackendKind backend = VfioBackendKind.Auto;
        if (settings.TryGetValue("backend", out string? name))
        {
            backend = name switch
            {
                "auto" => VfioBackendKind.Auto,
                "group" => VfioBackendKind.Group,
                "iommufd" => VfioBackendKind.Iommufd,
                _ => throw new FormatException($"--vfio backend '{name}' is none of auto, group (/dev/vfio/N) or iommufd (/dev/iommu, Linux 6.2+)"),
            };
        }
        return new VfioDeviceOption(
            device,
            settings.TryGetValue("id", out string? id) ? DeviceOptionText.Id("--vfio", id) : DefaultId(position),
            settings.TryGetValue("slot", out string? slot) ? DeviceOptionText.Slot("--vfio", slot) : null,
            backend);
    }
}
