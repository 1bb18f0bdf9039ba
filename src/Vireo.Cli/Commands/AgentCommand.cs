using System.CommandLine;
using System.Runtime.InteropServices;
using Vireo.Agent;
using Vireo.Cli.Common;
using Vireo.Sys;
using Vireo.Vfio;

namespace Vireo.Cli;

/// <summary>`vireo agent --policy FILE --socket PATH`: the privileged device agent.</summary>
internal static class AgentCommand
{
    private const string Details = """
        The agent holds the policy of who may have which host PCI devices and the privilege to
        open them, so `vireo run` needs neither: `vireo run --agent PATH --vfio DEVICE` asks it,
        the agent checks the connecting process's user id (as the kernel reports it) against
        the policy, checks the device's IOMMU group is viable, opens it (iommufd where the kernel
        has it, else the group API) and passes the descriptors back. Every grant and refusal is
        one line on stderr; the refused VMM gets the same reason.

        The policy is JSON; a grant names a user id, optionally a VM name (`--agent PATH,vm=NAME`
        on the VMM's side), and devices or whole IOMMU groups:

            { "grants": [ { "uid": 1000, "vm": "web", "devices": ["0000:01:00.0"] },
                          { "uid": 1001, "groups": [7] } ] }

        A group is assigned as a whole: a device is granted only when every device of its group
        is. Runs until SIGTERM or SIGINT, printing `serving PATH` once the socket accepts
        connections. Run it as root (it opens /dev/vfio and /dev/iommu).
        """;

    public static Command Create()
    {
        var policy = new Option<string>("--policy") { HelpName = "FILE", Description = "The policy (JSON) of who may have which devices.", Required = true };
        var socket = new Option<string>("--socket") { HelpName = "PATH", Description = "The UNIX socket to serve VMMs on.", Required = true };
        var socketMode = new Option<string?>("--socket-mode")
        {
            HelpName = "OCTAL",
            Description = "The socket's permission bits (default 0666: any local user may ask, and the policy decides by user id).",
        };
        var socketOwner = new Option<string?>("--socket-owner") { HelpName = "USER", Description = "Give the socket to this user (name or uid)." };
        var socketGroup = new Option<string?>("--socket-group") { HelpName = "GROUP", Description = "Give the socket to this group (name or gid), e.g. with --socket-mode 0660." };
        // Where sysfs and the device nodes are: for tests against fake trees, not for people.
        var sysfs = new Option<string>("--sysfs-root") { Hidden = true, DefaultValueFactory = _ => VfioSysfs.DefaultRoot };
        var dev = new Option<string>("--dev-root") { Hidden = true, DefaultValueFactory = _ => VfioBackendChoice.DefaultDevRoot };
        var command = new VireoCommand("agent", "Serve host PCI devices to unprivileged VMMs by policy (the device agent).", Details)
        {
            policy, socket, socketMode, socketOwner, socketGroup, sysfs, dev,
        };
        command.SetAction(result =>
        {
            string mode = result.GetValue(socketMode) ?? "0666";
            SocketFileAccess access;
            try
            {
                access = new SocketFileAccess(SocketFileAccess.ParseMode(mode), result.GetValue(socketOwner), result.GetValue(socketGroup));
            }
            catch (ArgumentException e)
            {
                throw new UsageException($"--socket-mode: {e.Message}");
            }
            return Serve(
                result.GetRequiredValue(policy),
                result.GetRequiredValue(socket),
                access,
                new VfioAgentDeviceSource(result.GetRequiredValue(sysfs), result.GetRequiredValue(dev)),
                result.InvocationConfiguration.Output,
                result.InvocationConfiguration.Error);
        });
        return command;
    }

    private static int Serve(string policyPath, string socket, SocketFileAccess access, IAgentDeviceSource source, TextWriter stdout, TextWriter stderr)
    {
        AgentPolicy policy = AgentPolicy.Load(policyPath);
        using var stop = new ManualResetEventSlim();
        using PosixSignalRegistration term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Set(); });
        using PosixSignalRegistration interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Set(); });
        using (AgentServer.Start(socket, policy, source, stderr, access))
        {
            stdout.WriteLine($"serving {socket} ({policy.Grants.Count} grant{(policy.Grants.Count == 1 ? "" : "s")} from {policyPath})");
            stdout.Flush();
            stop.Wait();
        }
        return 0;
    }
}
