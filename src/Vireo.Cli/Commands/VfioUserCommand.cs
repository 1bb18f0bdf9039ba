using System.CommandLine;
using Vireo.Cli.Common;
using Vireo.VfioUser;

namespace Vireo.Cli;

/// <summary>`vireo vfio-user info SOCKET [--json]`.</summary>
internal static class VfioUserCommand
{
    public static Command Create()
    {
        var group = new VireoCommand("vfio-user", "Talk to vfio-user device servers: `vfio-user info SOCKET`.");
        var socket = new Argument<string>("SOCKET") { Description = "The UNIX socket the device server listens on." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of text." };
        var timeout = new Option<long>("--timeout")
        {
            HelpName = "SECONDS",
            Description = "Give up when the server has not answered a request within this many seconds, 1 to 3600 (default 10).",
            CustomParser = NumberParser.Range(1, 3600),
            DefaultValueFactory = _ => 10,
        };
        var info = new VireoCommand(
            "info",
            "Describe the device served by a vfio-user server.",
            """
            Connects to a vfio-user device server (libvfio-user, vireo-device, SPDK, ...) on the
            UNIX socket SOCKET, negotiates the protocol version and prints the device's info,
            regions and IRQs. It changes nothing on the device.
            """) { socket, json, timeout };
        info.SetAction(result => InfoAsync(result.GetRequiredValue(socket), result.GetValue(json), result.GetValue(timeout), result.InvocationConfiguration.Output));
        group.Subcommands.Add(info);
        CliRunner.MakeGroup(group);
        return group;
    }

    private static async Task<int> InfoAsync(string socket, bool json, long timeout, TextWriter stdout)
    {
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
