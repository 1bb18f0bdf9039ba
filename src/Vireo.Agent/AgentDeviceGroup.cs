namespace Vireo.Agent;

/// <summary>A device the agent was asked for, with the IOMMU group it belongs to.</summary>
/// <param name="Address">The device's canonical PCI address (0000:00:03.0).</param>
/// <param name="Group">Its IOMMU group number.</param>
/// <param name="Members">Every device of the group that the grant must cover, the device itself
/// included (PCI bridges, which VFIO lets stay with the host, are left out).</param>
public sealed record AgentDeviceGroup(string Address, int Group, IReadOnlyList<string> Members);
