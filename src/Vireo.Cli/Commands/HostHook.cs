using System.Diagnostics;

namespace Vireo.Cli;

/// <summary>Runs a user's `--on-suspend`/`--on-resume` command without waiting for it: the
/// guest's power transitions never wait on host scripts.</summary>
internal static class HostHook
{
    public static void Start(string command, string eventName, long cycle, TextWriter stderr)
    {
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command);
        start.Environment["VIREO_EVENT"] = eventName;
        // Which suspend the event belongs to: hooks start without waiting on each other.
        start.Environment["VIREO_CYCLE"] = cycle.ToString(System.Globalization.CultureInfo.InvariantCulture);
        try
        {
            Process.Start(start)?.Dispose();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            stderr.WriteLine($"vireo: cannot run the {eventName} hook `{command}`: {e.Message}");
        }
    }
}
