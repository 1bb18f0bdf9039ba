using Vireo.Sys;

namespace Vireo.Agent;

/// <summary>A device that cannot be handed over: not found, behind no IOMMU, its group not
/// viable, or the host refusing to open it. The message names the device and the fix.</summary>
public sealed class AgentDeviceException : VireoException
{
    /// <summary>Creates the exception.</summary>
    public AgentDeviceException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
