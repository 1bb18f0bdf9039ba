using System.Globalization;
using System.Text;

namespace Vireo.Lab;

/// <summary>The shell that times one VMM run inside L1, the guest script that ends the run,
/// and the parser for what the timing shell prints.</summary>
/// <remarks>The VMM's console goes through a pipe into one busybox awk that stamps the marker
/// line with L1's /proc/uptime as it arrives, and writes everything else to a log in L1's
/// tmpfs. Echoing the boot log over L1's emulated serial port instead would let the slow
/// UART hold awk back and delay the stamp.</remarks>
internal static class BootBenchmarkScript
{
    public const string Prefix = "@@VIREO-BENCH@@";

    /// <summary>What the guest prints, followed by its uptime in seconds.</summary>
    public const string GuestMarker = Prefix + " guest";

    private const string ResultMarker = "result marker";
    private const string ResultExit = "result exit";
    private const string VmmExit = "vmm-exit";

    /// <summary>Run by the default guest's /init (via the vireoscript parameter): print the
    /// marker with the guest's uptime and reboot at once; the VMM then exits.</summary>
    public const string GuestScript = $"""
        read up idle < /proc/uptime
        echo "{GuestMarker} $up"
        reboot -f
        """;

    public static string LogPath(BootBenchmarkVmm vmm, int round) =>
        string.Create(CultureInfo.InvariantCulture, $"/tmp/vireo-bench-{Name(vmm)}-{round}.log");

    public static string Name(BootBenchmarkVmm vmm) => vmm == BootBenchmarkVmm.Vireo ? "vireo" : "qemu";

    /// <summary>The L1 shell command for one timed run of <paramref name="vmmCommand"/>.</summary>
    public static string TimedRun(string vmmCommand, string logPath, TimeSpan timeout)
    {
        // busybox timeout keeps the VMM's pid (it forks the watcher), so the pipe and the exit
        // status are the VMM's own; SIGKILL because a wedged VMM may ignore TERM.
        int seconds = (int)Math.Ceiling(timeout.TotalSeconds);
        // Each line loses the tty's '\r'; the marker is stamped before anything is written.
        string awk = $$"""
            function now(  line, f) { getline line < "/proc/uptime"; close("/proc/uptime"); split(line, f, " "); return f[1] - t0 }
            { sub(/\r$/, "") }
            index($0, "{{GuestMarker}} ") { t = now(); n = split(substr($0, index($0, "{{GuestMarker}} ")), f, " "); printf "{{Prefix}} {{ResultMarker}} %.2f %s\n", t, f[n]; fflush() }
            index($0, "{{Prefix}} {{VmmExit}} ") { printf "{{Prefix}} {{ResultExit}} %.2f %s\n", now(), $NF; next }
            { print > logfile }
            """;
        var s = new StringBuilder();
        s.Append(CultureInfo.InvariantCulture, $"rm -f {logPath}\n");
        s.Append("read t0 idle < /proc/uptime\n");
        s.Append(CultureInfo.InvariantCulture,
            $"{{ timeout -s KILL {seconds} {vmmCommand} </dev/null 2>&1; echo \"{Prefix} {VmmExit} $?\"; }} | awk -v t0=\"$t0\" -v logfile={logPath} '{awk.ReplaceLineEndings("\n")}'\n");
        return s.ToString();
    }

    /// <summary>What one timed run printed; a part is null when that line never came.</summary>
    public static BootBenchmarkRunOutput Parse(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        double? marker = null;
        double? guestUptime = null;
        double? exit = null;
        int? status = null;
        var other = new List<string>();
        foreach (string raw in output.Split('\n'))
        {
            string line = raw.TrimEnd('\r');
            int at = line.IndexOf(Prefix + " result ", StringComparison.Ordinal);
            string[] fields = at < 0 ? [] : line[(at + Prefix.Length + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            switch (fields)
            {
                case ["result", "marker", var t, var up] when TryParse(t, out double tm) && TryParse(up, out double u):
                    (marker, guestUptime) = (tm, u);
                    break;
                case ["result", "exit", var t, var code] when TryParse(t, out double te) && int.TryParse(code, NumberStyles.Integer, CultureInfo.InvariantCulture, out int c):
                    (exit, status) = (te, c);
                    break;
                default:
                    if (line.Length > 0)
                    {
                        other.Add(line);
                    }
                    break;
            }
        }
        return new BootBenchmarkRunOutput(marker, guestUptime, exit, status, other);
    }

    private static bool TryParse(string text, out double value) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
}
