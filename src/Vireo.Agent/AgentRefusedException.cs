using Vireo.Sys;

namespace Vireo.Agent;

/// <summary>The agent refused a request, or could not be asked; the message is the agent's
/// reason (or what went wrong reaching it) and names the device.</summary>
public sealed class AgentRefusedException : VireoException
{
    /// <summary>Creates the exception.</summary>
    public AgentRefusedException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
