using System.Globalization;

namespace Vireo.Sys;

/// <summary>
/// The process's CPU time and resident memory at one moment, read from the kernel
/// (getrusage through <see cref="Environment.CpuUsage"/>, /proc/self/statm and
/// /proc/self/status). Used to report what the VMM itself costs, apart from guest RAM.
/// </summary>
/// <param name="CpuTime">User plus system CPU time of every thread since the process started.</param>
/// <param name="ResidentBytes">Resident set size now (statm's resident pages).</param>
/// <param name="PeakResidentBytes">The largest resident set size so far (VmHWM).</param>
public readonly record struct ProcessFootprint(TimeSpan CpuTime, ulong ResidentBytes, ulong PeakResidentBytes)
{
    /// <summary>Reads the figures now. A missing /proc gives zero memory figures, not an error:
    /// a footprint is a report, never a reason to stop the VMM.</summary>
    public static ProcessFootprint Sample()
    {
        TimeSpan cpu = Environment.CpuUsage.TotalTime;
        ulong resident = 0;
        ulong peak = 0;
        try
        {
            // statm: size resident shared text lib data dt, in pages.
            string[] statm = File.ReadAllText("/proc/self/statm").Split(' ');
            resident = ulong.Parse(statm[1], CultureInfo.InvariantCulture) * (ulong)Environment.SystemPageSize;
            foreach (string line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    // "VmHWM:     14776 kB"
                    peak = ulong.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture) * 1024;
                    break;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
        }
        return new ProcessFootprint(cpu, resident, Math.Max(peak, resident));
    }
}
