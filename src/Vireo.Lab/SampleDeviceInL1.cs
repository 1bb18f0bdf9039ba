using System.Text.RegularExpressions;

namespace Vireo.Lab;

/// <summary>One sample vfio-user device server (`vireo-device`) that <see cref="L1RunScript"/>
/// starts inside L1 before the VMM: its socket, pid file and log live under
/// <see cref="RunDirectory"/> (by default), named after <see cref="Id"/>, so a command in L1 can reach it
/// (`vireo-device info /run/vireo-lab/sample0.sock`, `kill $(cat /run/vireo-lab/sample0.pid)`).</summary>
public sealed partial record SampleDeviceInL1
{
    /// <summary>Where the lab puts the NativeAOT vireo-device in L1.</summary>
    public const string Program = "/usr/local/bin/vireo-device";

    /// <summary>The directory in L1 holding the devices' sockets, pid files and logs.</summary>
    public const string RunDirectory = "/run/vireo-lab";

    /// <param name="id">The device's name, also its id in the VMM: letters, digits, '-' and '_', at most 32.</param>
    /// <param name="runDirectory">Where its files go (tests run the script outside L1).</param>
    public SampleDeviceInL1(string id, string runDirectory = RunDirectory)
    {
        if (!IsValidId(id))
        {
            throw new ArgumentException($"'{id}' is not a device id (letters, digits, '-' and '_', 1 to 32 of them)", nameof(id));
        }
        Id = id;
        Directory = runDirectory;
    }

    /// <summary>The directory of the device's socket, pid file and log.</summary>
    public string Directory { get; }

    /// <summary>The device's name: its id in `vireo run` and the stem of its files.</summary>
    public string Id { get; }

    /// <summary>The server's UNIX socket in L1.</summary>
    public string SocketPath => $"{Directory}/{Id}.sock";

    /// <summary>The server's control socket in L1 (`vireo-device control PATH notify 0x80`, `... wake`).</summary>
    public string ControlPath => $"{Directory}/{Id}.ctl";

    /// <summary>The file holding the server's pid in L1.</summary>
    public string PidFile => $"{Directory}/{Id}.pid";

    /// <summary>The server's output in L1 (also relayed, framed, on the lab's output).</summary>
    public string LogFile => $"{Directory}/{Id}.log";

    /// <summary>The value of `vireo run --vfio-user` that assigns this device.</summary>
    public string VireoRunOption => $"{SocketPath},id={Id}";

    /// <summary>Whether <paramref name="id"/> can name a device (it becomes a file name and a shell word).</summary>
    public static bool IsValidId(string id) => IdPattern().IsMatch(id);

    [GeneratedRegex("^[A-Za-z0-9_-]{1,32}$")]
    private static partial Regex IdPattern();
}
