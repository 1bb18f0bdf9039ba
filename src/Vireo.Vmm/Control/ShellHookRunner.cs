using System.Diagnostics;
using System.Globalization;

namespace Vireo.Vmm;

/// <summary>Runs hooks with /bin/sh -c, with VIREO_EVENT and VIREO_CYCLE set, without waiting
/// for them: the guest's power transitions never wait on host scripts.</summary>
public sealed class ShellHookRunner(Action<string> log) : IHostHookRunner
{
    /// <summary>Starts /bin/sh -c <paramref name="command"/> and returns; a command that cannot start is logged.</summary>
    public void Start(string command, string eventName, long cycle)
    {
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command);
        start.Environment["VIREO_EVENT"] = eventName;
        // Which suspend the event belongs to: hooks start without waiting on each other.
        start.Environment["VIREO_CYCLE"] = cycle.ToString(CultureInfo.InvariantCulture);
        try
        {
            Process.Start(start)?.Dispose();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            log($"cannot run the {eventName} hook `{command}`: {e.Message}");
        }
    }
}
