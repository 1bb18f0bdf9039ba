using System.Globalization;

namespace Vireo.Lab;

/// <summary>Turns apt's machine-readable status lines (APT::Status-Fd, "dlstatus:1:37.5:Retrieving
/// file 1 of 3") into a readable percentage every 10%, so a long download visibly moves;
/// other lines pass through indented.</summary>
internal sealed class AptProgress(TextWriter? progress)
{
    /// <summary>apt-get options that send the status lines to stdout.</summary>
    public static readonly string[] Options = ["-o", "APT::Status-Fd=1"];

    private const int Step = 10;

    // stdout and stderr lines arrive on different threads.
    private readonly Lock _gate = new();
    private string _phase = "";
    private int _lastPercent = -Step;

    public void OnLine(string line)
    {
        if (progress is null)
        {
            return;
        }
        lock (_gate)
        {
            Show(progress, line);
        }
    }

    private void Show(TextWriter progress, string line)
    {
        string[] fields = line.Split(':', 4);
        if (fields.Length == 4 && fields[0] is "dlstatus" or "pmstatus")
        {
            if (!double.TryParse(fields[2], NumberStyles.Float, CultureInfo.InvariantCulture, out double percent))
            {
                return;
            }
            int whole = (int)percent;
            if (fields[0] != _phase || whole >= _lastPercent + Step || (whole == 100 && _lastPercent != 100))
            {
                _phase = fields[0];
                _lastPercent = whole;
                string what = fields[0] == "dlstatus" ? "download" : "install";
                progress.WriteLine($"  apt {what} {whole,3}%: {fields[3]}");
            }
            return;
        }
        progress.WriteLine($"  {line}");
    }
}
