namespace Vireo.Agent;

/// <summary>A device the agent handed over: its address and group, and the open descriptors
/// (owned by the grant until taken).</summary>
/// <param name="Device">The device's canonical PCI address.</param>
/// <param name="Group">Its IOMMU group.</param>
/// <param name="Opened">The descriptors and backend.</param>
public sealed record AgentGrant(string Device, int Group, AgentOpenedDevice Opened) : IDisposable
{
    /// <summary>Closes the descriptors.</summary>
    public void Dispose() => Opened.Dispose();
}
