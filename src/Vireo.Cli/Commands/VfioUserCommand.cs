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
        var info = new VireoCommand(
            "info",
            "Describe the device served by a vfio-user server.",
            """
            Connects to a vfio-user device server (libvfio-user, vireo-device, SPDK, ...) on the
            UNIX socket SOCKET, negotiates the protocol version and prints the device's info,
            regions and IRQs. It changes nothing on the device.
            """) { socket, json };
        info.SetAction(result => InfoAsync(result.GetRequiredValue(socket), result.GetValue(json), result.InvocationConfiguration.Output));
        group.Subcommands.Add(info);
        CliRunner.MakeGroup(group);
        return group;
    }

    private static async Task<int> InfoAsync(string socket, bool json, TextWriter stdout)
    {
        if (!File.Exists(socket))
        {
            throw new IOException($"no vfio-user server socket at {socket}: start the device server first (e.g. `vireo-device --socket {socket}`)");
        }
        VfioUserDeviceReport report = VfioUserInfo.Query(socket, TimeSpan.FromSeconds(10));
        await stdout.WriteLineAsync(json ? VfioUserInfo.ToJson(report) : VfioUserInfo.ToText(report));
        return 0;
    }
}
