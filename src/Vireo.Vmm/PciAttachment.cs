using Vireo.Pci;

namespace Vireo.Vmm;

/// <summary>A PCI function to put on the machine's root bus.</summary>
/// <param name="Function">The function (an emulated device, a vfio-user proxy, kernel VFIO); the
/// machine does not own it: whoever made it disposes it after the machine.</param>
/// <param name="Slot">The slot on bus 0, 1 to 31; null for the lowest free one.</param>
public sealed record PciAttachment(IPciFunction Function, int? Slot = null);
