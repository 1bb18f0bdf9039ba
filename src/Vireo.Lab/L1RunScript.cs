using System.Globalization;
using System.Text;

namespace Vireo.Lab;

/// <summary>
/// The shell script `vireo-lab run` runs in L1: it starts the sample device servers and waits
/// until each listens, runs vireo (<see cref="L2Command"/>), and, once vireo's API socket
/// exists, runs the user's L1 command alongside it. Every line that is not the guest console
/// is framed: `[vireo-device ID] ` for a server's output, `[l1] ` for the L1 command's (which
/// ends with `[l1] exit N`). When vireo exits, the L1 command gets
/// <see cref="L1CommandGraceSeconds"/> to finish before its process group is stopped, then the
/// servers are stopped. The script's exit status is vireo's, or 1 when a server did not start.
/// </summary>
public static class L1RunScript
{
    /// <summary>Prefix of the L1 command's output lines.</summary>
    public const string L1Prefix = "[l1] ";

    /// <summary>How long the L1 command may run on after vireo exits.</summary>
    public const int L1CommandGraceSeconds = 5;

    /// <summary>How long a device server may take to listen (NativeAOT start under TCG).</summary>
    public const int DeviceStartSeconds = 60;

    /// <summary>How long the L1 command waits for vireo's API socket.</summary>
    public const int ApiSocketWaitSeconds = 120;

    /// <summary>Prefix of a device server's output lines.</summary>
    public static string DevicePrefix(SampleDeviceInL1 device)
    {
        ArgumentNullException.ThrowIfNull(device);
        return $"[vireo-device {device.Id}] ";
    }

    /// <param name="vireoRunWords">The vireo command line, one word each (with the devices' --vfio-user options and, for an L1 command, --api-socket <paramref name="apiSocket"/>).</param>
    /// <param name="input">What to type on the guest console (<see cref="L2Command.Build"/>).</param>
    /// <param name="devices">The sample device servers to start first.</param>
    /// <param name="l1Command">A shell command to run in L1 once vireo is up, or null.</param>
    /// <param name="apiSocket">vireo's API socket in L1; required with <paramref name="l1Command"/>,
    /// which sees it as $VIREO_API_SOCKET.</param>
    /// <param name="runDirectory">Where the script keeps its files (the devices' too).</param>
    /// <param name="deviceProgram">The vireo-device to start.</param>
    public static string Build(IEnumerable<string> vireoRunWords, string? input, IReadOnlyList<SampleDeviceInL1> devices,
        string? l1Command, string? apiSocket, string runDirectory = SampleDeviceInL1.RunDirectory,
        string deviceProgram = SampleDeviceInL1.Program)
    {
        ArgumentNullException.ThrowIfNull(devices);
        if (l1Command is not null && apiSocket is null)
        {
            throw new ArgumentException("an L1 command starts once vireo's API socket exists: give its path", nameof(apiSocket));
        }
        string dir = L2Command.Quote(runDirectory);
        var s = new StringBuilder();
        s.Append(CultureInfo.InvariantCulture, $"export VIREO_LAB_RUN={dir}; mkdir -p \"$VIREO_LAB_RUN\"\n");
        // Stops every device server: TERM, then KILL after 5 s.
        s.Append("lab_stop_devices() {\n");
        s.Append(CultureInfo.InvariantCulture, $"  for f in {dir}/*.pid; do [ -f \"$f\" ] && kill \"$(cat \"$f\")\" 2>/dev/null; done\n");
        s.Append("  n=0\n");
        s.Append(CultureInfo.InvariantCulture, $"  for f in {dir}/*.pid; do\n");
        s.Append("    [ -f \"$f\" ] || continue\n");
        s.Append("    while kill -0 \"$(cat \"$f\")\" 2>/dev/null && [ $n -lt 50 ]; do n=$((n+1)); sleep 0.1; done\n");
        s.Append("    kill -9 \"$(cat \"$f\")\" 2>/dev/null; rm -f \"$f\"\n");
        s.Append("  done\n");
        // The relays end with their servers; their last lines must precede this script's end.
        s.Append("  wait\n");
        s.Append("}\n");
        foreach (SampleDeviceInL1 device in devices)
        {
            if (device.Directory != runDirectory)
            {
                throw new ArgumentException($"device {device.Id} keeps its files in {device.Directory}, not {runDirectory}", nameof(devices));
            }
            AppendDevice(s, device, deviceProgram);
        }
        if (l1Command is not null)
        {
            AppendL1Command(s, l1Command, apiSocket!, dir);
        }
        // The vireo line may end in `exit`: a subshell keeps this script going to clean up.
        s.Append("( ").Append(L2Command.Build(vireoRunWords, input)).Append(" ); lab_status=$?\n");
        s.Append(CultureInfo.InvariantCulture, $": >{dir}/vireo.exited\n");
        if (l1Command is not null)
        {
            s.Append("n=0; while kill -0 $lab_l1 2>/dev/null && [ $n -lt ")
                .Append(L1CommandGraceSeconds * 10).Append(" ]; do n=$((n+1)); sleep 0.1; done\n");
            s.Append("if kill -0 $lab_l1 2>/dev/null; then\n");
            s.Append(CultureInfo.InvariantCulture, $"  echo '{L1Prefix}still running {L1CommandGraceSeconds} s after vireo exited: stopped'\n");
            s.Append(CultureInfo.InvariantCulture, $"  [ -f {dir}/l1.pgid ] && kill -TERM -\"$(cat {dir}/l1.pgid)\" 2>/dev/null\n");
            s.Append("  kill $lab_l1 2>/dev/null\n");
            s.Append("fi\n");
            s.Append("wait $lab_l1 2>/dev/null\n");
        }
        s.Append("lab_stop_devices\n");
        s.Append("exit $lab_status\n");
        return s.ToString();
    }

    private static void AppendDevice(StringBuilder s, SampleDeviceInL1 device, string program)
    {
        string socket = L2Command.Quote(device.SocketPath);
        string log = L2Command.Quote(device.LogFile);
        string fifo = L2Command.Quote($"{device.Directory}/{device.Id}.fifo");
        string prefix = L2Command.Quote(DevicePrefix(device));
        string control = L2Command.Quote(device.ControlPath);
        s.Append(CultureInfo.InvariantCulture, $"rm -f {socket} {control} {fifo}; : >{log}; mkfifo {fifo}\n");
        // The relay ends when the server does (its end of the FIFO closes).
        s.Append(CultureInfo.InvariantCulture,
            $"( while IFS= read -r l; do echo {prefix}\"$l\"; echo \"$l\" >>{log}; done <{fifo} ) &\n");
        s.Append(CultureInfo.InvariantCulture,
            $"{L2Command.Quote(program)} --socket {socket} --control {control} </dev/null >{fifo} 2>&1 & echo $! >{L2Command.Quote(device.PidFile)}\n");
        s.Append("n=0\n");
        s.Append(CultureInfo.InvariantCulture, $"until grep -q 'listening on' {log}; do\n");
        s.Append(CultureInfo.InvariantCulture, $"  if ! kill -0 \"$(cat {L2Command.Quote(device.PidFile)})\" 2>/dev/null || [ $n -ge {DeviceStartSeconds * 10} ]; then\n");
        s.Append(CultureInfo.InvariantCulture,
            $"    echo {L2Command.Quote($"vireo-lab: vireo-device {device.Id} did not start listening on {device.SocketPath}")}; lab_stop_devices; exit 1\n");
        s.Append("  fi\n");
        s.Append("  n=$((n+1)); sleep 0.1\n");
        s.Append("done\n");
    }

    private static void AppendL1Command(StringBuilder s, string command, string apiSocket, string dir)
    {
        string socket = L2Command.Quote(apiSocket);
        string prefix = L2Command.Quote(L1Prefix);
        // The command travels in the environment, so no quoting of it can go wrong.
        s.Append("export VIREO_LAB_L1=").Append(L2Command.Quote(command)).Append('\n');
        s.Append("export VIREO_API_SOCKET=").Append(socket).Append('\n');
        s.Append(CultureInfo.InvariantCulture, $"rm -f {socket} {dir}/l1.pgid {dir}/l1.status {dir}/vireo.exited\n");
        s.Append("(\n");
        s.Append("  n=0\n");
        s.Append(CultureInfo.InvariantCulture, $"  until [ -S {socket} ]; do\n");
        s.Append(CultureInfo.InvariantCulture, $"    if [ -f {dir}/vireo.exited ]; then echo {L2Command.Quote($"{L1Prefix}vireo exited before its API socket {apiSocket} appeared: the command did not run")}; exit 0; fi\n");
        s.Append(CultureInfo.InvariantCulture, $"    if [ $n -ge {ApiSocketWaitSeconds * 10} ]; then echo {L2Command.Quote($"{L1Prefix}vireo's API socket {apiSocket} did not appear in {ApiSocketWaitSeconds} s: the command did not run")}; exit 0; fi\n");
        s.Append("    n=$((n+1)); sleep 0.1\n");
        s.Append("  done\n");
        s.Append("  echo \"$VIREO_LAB_L1\" | while IFS= read -r l; do echo ").Append(prefix).Append("\"\\$ $l\"; done\n");
        // Its own process group (setsid), so it can be stopped whole; its status through a
        // file, as busybox ash has no PIPESTATUS.
        s.Append(
            "  setsid sh -c 'echo $$ >\"$VIREO_LAB_RUN/l1.pgid\"; ( eval \"$VIREO_LAB_L1\" ); echo $? >\"$VIREO_LAB_RUN/l1.status\"' </dev/null 2>&1 |\n");
        s.Append("    while IFS= read -r l; do echo ").Append(prefix).Append("\"$l\"; done\n");
        s.Append(CultureInfo.InvariantCulture, $"  echo {prefix}\"exit $(cat {dir}/l1.status 2>/dev/null || echo '?')\"\n");
        s.Append(") & lab_l1=$!\n");
    }
}
