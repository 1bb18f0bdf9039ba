namespace Vireo.Agent;

/// <summary>One grant of a policy: the user (and, optionally, the VM name that user runs) and the
/// devices and IOMMU groups it may have.</summary>
/// <param name="Uid">The user id the kernel reports for the VMM's connection (SO_PEERCRED).</param>
/// <param name="Vm">The VM name the VMM must ask under, or null for any VM of that user.</param>
/// <param name="Devices">PCI addresses (0000:00:03.0) granted.</param>
/// <param name="Groups">IOMMU group numbers granted whole.</param>
public sealed record AgentPolicyGrant(uint Uid, string? Vm, IReadOnlyList<string> Devices, IReadOnlyList<int> Groups);
