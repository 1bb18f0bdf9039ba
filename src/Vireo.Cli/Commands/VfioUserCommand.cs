using Vireo.VfioUser;

namespace Vireo.Cli;

/// <summary>`vireo vfio-user info SOCKET [--json]`.</summary>
internal static class VfioUserCommand
{
    public const string Help = """
        Usage: vireo vfio-user info SOCKET [--json] [--timeout SECONDS]

        Connects to a vfio-user device server (libvfio-user, vireo-device, SPDK, ...) on the
        UNIX socket SOCKET, negotiates the protocol version and prints the device's info,
        regions and IRQs. It changes nothing on the device.

          --json       Print one JSON object instead of text.
          --timeout S  Give up when the server has not answered a request within S
                       seconds (default 10).
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter stdout)
    {
        if (args.Length == 0 || args[0] is "--help" or "-h")
        {
            await stdout.WriteLineAsync(Help);
            return args.Length == 0 ? 2 : 0;
        }
        if (args[0] != "info")
        {
            throw new UsageException($"vfio-user: unknown command '{args[0]}'; the commands are: info");
        }
        var reader = new ArgReader("vfio-user info", args[1..]);
        if (reader.Flag("--help") || reader.Flag("-h"))
        {
            await stdout.WriteLineAsync(Help);
            return 0;
        }
        bool json = reader.Flag("--json");
        uint timeout = reader.UInt("--timeout", 10, 1, 3600);
        string socket = reader.Positional() ?? throw new UsageException("vfio-user info: give the server's socket path");
        reader.Done();
        if (!File.Exists(socket))
        {
            throw new IOException($"no vfio-user server socket at {socket}: start the device server first (e.g. `vireo-device --socket {socket}`)");
        }
        VfioUserDeviceReport report;
        try
        {
            report = VfioUserInfo.Query(socket, TimeSpan.FromSeconds(timeout));
        }
        catch (Exception e) when (e is TimeoutException or VfioUserDisconnectedException or VfioUserException or Vireo.Sys.ErrnoException
            or FormatException or ArgumentException or OverflowException or System.Text.Json.JsonException)
        {
            // Whatever the server did wrong is a one-line user error, not a crash of the tool.
            throw new IOException($"vfio-user info {socket}: {e.Message}", e);
        }
        await stdout.WriteLineAsync(json ? VfioUserInfo.ToJson(report) : VfioUserInfo.ToText(report));
        return 0;
    }
}
