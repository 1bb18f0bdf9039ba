using System.Text;
using System.Text.Json;
using Vireo.Sys;

namespace Vireo.VfioUser;

/// <summary>The library side of <c>vireo vfio-user info SOCKET [--json]</c>: connects to any
/// vfio-user server, asks everything a VMM would ask before using the device, and describes it.</summary>
public static class VfioUserInfo
{
    private static readonly string[] s_regionNames = ["BAR0", "BAR1", "BAR2", "BAR3", "BAR4", "BAR5", "ROM", "CONFIG", "VGA"];
    private static readonly string[] s_irqNames = ["INTX", "MSI", "MSIX", "ERR", "REQ", "ACPI_NOTIFY"];

    /// <summary>Connects to <paramref name="socketPath"/>, describes the device and disconnects.</summary>
    /// <param name="socketPath">The server's UNIX socket.</param>
    /// <param name="timeout">How long each request may wait; 5 s when null.</param>
    public static VfioUserDeviceReport Query(string socketPath, TimeSpan? timeout = null)
    {
        var options = new VfioUserClientOptions { ReplyTimeout = timeout ?? TimeSpan.FromSeconds(5) };
        using VfioUserClient client = VfioUserClient.Connect(socketPath, options);
        return Describe(client, socketPath);
    }

    /// <summary>Asks a connected server for its device info and every region's and IRQ index's info (at most 64 of each, whatever the server claims).</summary>
    /// <param name="client">A negotiated client.</param>
    /// <param name="socket">The socket path, for the report.</param>
    public static VfioUserDeviceReport Describe(VfioUserClient client, string socket)
    {
        DeviceInfo info = client.GetDeviceInfo();
        var regions = new List<VfioUserRegionReport>();
        // A hostile server's counts are not trusted to size loops (vfio.h has 9 PCI regions, 5 IRQs).
        for (uint i = 0; i < Math.Min(info.NumRegions, 64u); i++)
        {
            RegionInfo region = client.GetRegionInfo(i, out SafeFd? fd);
            bool offered = fd is not null;
            fd?.Dispose();
            regions.Add(new VfioUserRegionReport(i, i < s_regionNames.Length ? s_regionNames[i] : $"REGION{i}", region.Size, region.Offset, (uint)region.Flags,
                Names((uint)region.Flags, ["READ", "WRITE", "MMAP", "CAPS"]), offered, region.SparseAreas ?? []));
        }
        var irqs = new List<VfioUserIrqReport>();
        for (uint i = 0; i < Math.Min(info.NumIrqs, 64u); i++)
        {
            IrqInfo irq = client.GetIrqInfo(i);
            irqs.Add(new VfioUserIrqReport(i, i < s_irqNames.Length ? s_irqNames[i] : $"IRQ{i}", irq.Count, (uint)irq.Flags,
                Names((uint)irq.Flags, ["EVENTFD", "MASKABLE", "AUTOMASKED", "NORESIZE"])));
        }
        return new VfioUserDeviceReport(socket, client.Major, client.Minor, client.ServerCapabilitiesJson, client.LowPowerAvailable, client.AcpiNotifyAvailable,
            (uint)info.Flags, Names((uint)info.Flags, ["RESET", "PCI"]), info.NumRegions, info.NumIrqs, regions, irqs);
    }

    /// <summary>The report as JSON, for <c>--json</c>.</summary>
    public static string ToJson(VfioUserDeviceReport report) => JsonSerializer.Serialize(report, VfioUserInfoJsonContext.Default.VfioUserDeviceReport);

    /// <summary>The report as text lines for people.</summary>
    public static string ToText(VfioUserDeviceReport report)
    {
        var text = new StringBuilder();
        text.AppendLine($"vfio-user {report.Major}.{report.Minor} at {report.Socket}");
        text.AppendLine($"capabilities: {report.Capabilities ?? "(none)"}");
        text.AppendLine($"extensions: low-power {(report.LowPower ? "yes" : "no")}, acpi-notify {(report.AcpiNotify ? "yes" : "no")}");
        text.AppendLine($"device: flags 0x{report.DeviceFlags:x} [{string.Join(',', report.DeviceFlagNames)}], {report.NumRegions} regions, {report.NumIrqs} irqs");
        foreach (VfioUserRegionReport r in report.Regions)
        {
            string sparse = r.SparseMmapAreas.Count == 0 ? "" : " mmap " + string.Join(' ', r.SparseMmapAreas.Select(a => $"0x{a.Offset:x}+0x{a.Size:x}"));
            text.AppendLine($"  region {r.Index} {r.Name,-6} size 0x{r.Size:x} flags [{string.Join(',', r.FlagNames)}]{(r.MmapFdOffered ? " fd" : "")}{sparse}");
        }
        foreach (VfioUserIrqReport i in report.Irqs)
        {
            text.AppendLine($"  irq {i.Index} {i.Name,-11} count {i.Count} flags [{string.Join(',', i.FlagNames)}]");
        }
        return text.ToString();
    }

    private static string[] Names(uint flags, string[] names)
        => Enumerable.Range(0, names.Length).Where(b => (flags & (1u << b)) != 0).Select(b => names[b]).ToArray();
}
