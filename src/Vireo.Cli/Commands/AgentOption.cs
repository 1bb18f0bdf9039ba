using Vireo.Agent;

namespace Vireo.Cli;

/// <summary>`vireo run --agent SOCKET[,vm=NAME]`: ask the device agent at SOCKET for every --vfio
/// device, as VM NAME, instead of opening /dev/vfio.</summary>
/// <param name="Socket">The agent's UNIX socket.</param>
/// <param name="Vm">The VM name the agent's policy may narrow a grant to.</param>
internal sealed record AgentOption(string Socket, string Vm)
{
    public const string Syntax = "SOCKET[,vm=NAME]";

    /// <summary>The VM name when none is given.</summary>
    public const string DefaultVm = "vireo";

    /// <exception cref="FormatException">Malformed; the message says what.</exception>
    public static AgentOption Parse(string value)
    {
        (string socket, Dictionary<string, string> settings) = DeviceOptionText.Split("--agent", value, Syntax, "the agent's socket", ["vm=NAME"]);
        string vm = settings.TryGetValue("vm", out string? name) ? name : DefaultVm;
        return AgentRequest.IsValidVmName(vm)
            ? new AgentOption(socket, vm)
            : throw new FormatException($"--agent vm '{vm}' must be 1 to {AgentRequest.MaxVmNameLength} letters, digits, '.', '_' or '-'");
    }
}
