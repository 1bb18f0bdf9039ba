using System.Globalization;
using System.Text;

namespace Vireo.Api;

/// <summary>`vireo remote devices`: vm.info's PCI devices as a table, one line each, in the
/// manner of lspci (BAR sizes as <c>[size=4K]</c>).</summary>
internal static class DeviceTable
{
    private static readonly string[] s_header = ["ID", "BACKEND", "BDF", "VENDOR:DEVICE", "IRQ", "ALIVE", "POWER", "BARS"];

    public static string Format(IReadOnlyList<PciDeviceInfo> devices)
    {
        ArgumentNullException.ThrowIfNull(devices);
        if (devices.Count == 0)
        {
            return "no PCI devices";
        }
        List<string[]> rows = [s_header, .. devices.Select(d => new[]
        {
            d.Id,
            d.Backend,
            d.Bdf,
            $"{d.VendorId}:{d.DeviceId}",
            d.InterruptMode,
            d.Alive ? "yes" : "no",
            d.DState is string dState ? $"{dState}{(d.Power == "low-power" ? " low" : "")}{(d.WakeArmed ? " wake" : "")}" : d.Power,
            d.Bars.Count == 0 ? "-" : string.Join("; ", d.Bars.Select(Bar)),
        })];
        int[] widths = [.. Enumerable.Range(0, s_header.Length).Select(c => rows.Max(r => r[c].Length))];
        var text = new StringBuilder();
        foreach (string[] row in rows)
        {
            for (int c = 0; c < row.Length; c++)
            {
                text.Append(c == row.Length - 1 ? row[c] : row[c].PadRight(widths[c] + 2));
            }
            text.Append('\n');
        }
        return text.ToString().TrimEnd('\n');
    }

    /// <summary>"BAR0 memory32 0xc0000000 [size=4K]"; "unassigned" while it does not decode.</summary>
    private static string Bar(PciBarInfo bar)
    {
        string at = bar.GuestAddress is ulong address ? string.Create(CultureInfo.InvariantCulture, $"0x{address:x}") : "unassigned";
        return string.Create(CultureInfo.InvariantCulture, $"BAR{bar.Index} {bar.Kind}{(bar.Prefetchable ? " prefetchable" : "")} {at} [size={Size(bar.Size)}]");
    }

    private static string Size(ulong bytes)
    {
        string[] units = ["", "K", "M", "G", "T", "P", "E"];
        int unit = 0;
        while (unit < units.Length - 1 && bytes >= 1024 && bytes % 1024 == 0)
        {
            bytes /= 1024;
            unit++;
        }
        return string.Create(CultureInfo.InvariantCulture, $"{bytes}{units[unit]}");
    }
}
