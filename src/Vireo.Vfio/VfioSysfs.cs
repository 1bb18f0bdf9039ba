using System.Globalization;

namespace Vireo.Vfio;

/// <summary>What sysfs says about a device to assign: where it is, its IOMMU group, whether the
/// group is viable (VFIO's rule: every member bound to a VFIO driver, to pci-stub or to nothing,
/// bridges aside) and its VFIO cdev. Pure reads under a sysfs root, so tests use fake trees; the
/// kernel checks viability again when the group is opened, this only explains a refusal first.</summary>
public static class VfioSysfs
{
    /// <summary>The real sysfs.</summary>
    public const string DefaultRoot = "/sys";

    /// <summary>Finds <paramref name="device"/>, a PCI address (0000:00:03.0, or 00:03.0 for
    /// domain 0) or a sysfs device directory, and its IOMMU group and cdev.</summary>
    /// <param name="device">A PCI address or a sysfs path.</param>
    /// <param name="sysfsRoot">Where sysfs is mounted.</param>
    /// <exception cref="VfioSetupException">The device does not exist, is not PCI, or has no IOMMU group.</exception>
    public static VfioHostDevice Resolve(string device, string sysfsRoot = DefaultRoot)
    {
        ArgumentNullException.ThrowIfNull(device);
        string address;
        if (device.StartsWith('/'))
        {
            string path = device.TrimEnd('/');
            if (!Directory.Exists(path))
            {
                throw new VfioSetupException($"no device at {device}: the path does not exist");
            }
            // A sysfs device directory is named after the device; PCI devices after their address.
            address = Path.GetFileName(path);
            if (PciAddressText.Normalize(address) is null)
            {
                throw new VfioSetupException($"{device} is not a PCI device: VFIO assigns PCI functions, named domain:bus:device.function (0000:00:03.0)");
            }
        }
        else if (PciAddressText.Normalize(device) is string canonical)
        {
            address = canonical;
        }
        else
        {
            throw new VfioSetupException($"'{device}' is neither a PCI address (0000:00:03.0) nor a sysfs device path (/sys/bus/pci/devices/0000:00:03.0)");
        }
        address = address.ToLowerInvariant();
        string dir = Path.Combine(sysfsRoot, "bus", "pci", "devices", address);
        if (!Directory.Exists(dir))
        {
            throw new VfioSetupException($"PCI device {address} not found (no {dir}): list the host's devices with lspci -D");
        }
        string? groupLink = new FileInfo(Path.Combine(dir, "iommu_group")).LinkTarget;
        if (groupLink is null)
        {
            throw new VfioSetupException($"{address} has no IOMMU group: the host has no IOMMU enabled (intel_iommu=on / amd_iommu=on) or the device is not behind one");
        }
        if (!int.TryParse(Path.GetFileName(groupLink.TrimEnd('/')), NumberStyles.None, CultureInfo.InvariantCulture, out int group))
        {
            throw new VfioSetupException($"{address}'s iommu_group link points at {groupLink}, not a numbered group");
        }
        return new VfioHostDevice(address, dir, group, FindCdev(dir));
    }

    /// <summary>Every device of <paramref name="device"/>'s IOMMU group (itself included), sorted by address.</summary>
    /// <param name="device">A resolved device.</param>
    public static IReadOnlyList<VfioGroupMember> GroupMembers(VfioHostDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        string devices = Path.Combine(device.SysfsPath, "iommu_group", "devices");
        if (!Directory.Exists(devices))
        {
            throw new VfioSetupException($"{device.Address}'s IOMMU group {device.IommuGroup} lists no devices ({devices} is missing)");
        }
        var members = new List<VfioGroupMember>();
        foreach (string entry in Directory.EnumerateFileSystemEntries(devices))
        {
            string? driver = new FileInfo(Path.Combine(entry, "driver")).LinkTarget;
            members.Add(new VfioGroupMember(Path.GetFileName(entry), driver is null ? null : Path.GetFileName(driver.TrimEnd('/')), ReadClass(entry)));
        }
        members.Sort((a, b) => string.CompareOrdinal(a.Address, b.Address));
        return members;
    }

    /// <summary>Checks that <paramref name="device"/>'s group is viable and returns its members.</summary>
    /// <param name="device">A resolved device.</param>
    /// <param name="sysfsRoot">Where sysfs is mounted, for the fix in the message.</param>
    /// <exception cref="VfioGroupNotViableException">A member is bound to a host driver; the message names it and the fix.</exception>
    public static IReadOnlyList<VfioGroupMember> EnsureViable(VfioHostDevice device, string sysfsRoot = DefaultRoot)
    {
        IReadOnlyList<VfioGroupMember> members = GroupMembers(device);
        VfioGroupMember? blocking = members.FirstOrDefault(m => !m.IsVfioSafe);
        if (blocking is not null)
        {
            throw NotViable(device, blocking, sysfsRoot);
        }
        return members;
    }

    internal static VfioGroupNotViableException NotViable(VfioHostDevice device, VfioGroupMember blocking, string sysfsRoot)
    {
        string who = blocking.Address == device.Address ? $"{device.Address} itself" : $"{blocking.Address}, in the same group as {device.Address},";
        string pci = Path.Combine(sysfsRoot, "bus", "pci");
        string fix = $"echo {blocking.Address} > {pci}/drivers/{blocking.Driver}/unbind; "
            + $"echo vfio-pci > {pci}/devices/{blocking.Address}/driver_override; "
            + $"echo {blocking.Address} > {pci}/drivers_probe";
        return new VfioGroupNotViableException(
            device.IommuGroup,
            blocking.Address,
            blocking.Driver,
            $"IOMMU group {device.IommuGroup} is not viable: {who} is bound to the host driver {blocking.Driver}; "
            + $"every device of the group must be bound to vfio-pci, pci-stub or no driver. Fix: {fix}");
    }

    private static string? FindCdev(string dir)
    {
        string vfioDev = Path.Combine(dir, "vfio-dev");
        if (!Directory.Exists(vfioDev))
        {
            return null;
        }
        return Directory.EnumerateFileSystemEntries(vfioDev)
            .Select(Path.GetFileName)
            .FirstOrDefault(name => name is not null && IsCdevName(name));
    }

    private static uint? ReadClass(string deviceDir)
    {
        string path = Path.Combine(deviceDir, "class");
        if (!File.Exists(path))
        {
            return null;
        }
        string text = File.ReadAllText(path).Trim();
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            text = text[2..];
        }
        return uint.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint code) ? code : null;
    }

    /// <summary>vfioN: the name of a VFIO device cdev in sysfs's vfio-dev directory.</summary>
    private static bool IsCdevName(string name)
        => name.Length > 4 && name.StartsWith("vfio", StringComparison.Ordinal) && name.AsSpan(4).IndexOfAnyExceptInRange('0', '9') < 0;
}
