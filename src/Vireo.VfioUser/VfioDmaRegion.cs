using Vireo.Sys;

namespace Vireo.VfioUser;

/// <summary>A range of guest RAM given to a device for DMA: where the device sees it
/// (<paramref name="Iova"/>, the guest-physical address), where the VMM has it mapped
/// (<paramref name="HostAddress"/>, what the kernel pins) and the memfd behind it (what a
/// vfio-user server maps; null for private memory).</summary>
/// <param name="Iova">The device's address of the range: its guest-physical address.</param>
/// <param name="Size">The range's length in bytes.</param>
/// <param name="HostAddress">The VMM's mapping of the range.</param>
/// <param name="Fd">The memfd holding the range, or null.</param>
/// <param name="FdOffset">The range's offset in <paramref name="Fd"/>.</param>
public readonly record struct VfioDmaRegion(ulong Iova, ulong Size, nint HostAddress, SafeFd? Fd, ulong FdOffset);
