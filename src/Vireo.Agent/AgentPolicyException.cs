using Vireo.Sys;

namespace Vireo.Agent;

/// <summary>A policy file that cannot be read or says something the agent cannot enforce.</summary>
public sealed class AgentPolicyException : VireoException
{
    /// <summary>Creates the exception.</summary>
    public AgentPolicyException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
