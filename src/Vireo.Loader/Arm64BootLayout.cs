using Vireo.Memory;

namespace Vireo.Loader;

/// <summary>Where an arm64 guest's kernel, device tree and initrd go in RAM
/// (<see cref="Arm64Image.Place"/>); none of them overlap.</summary>
/// <param name="KernelAddress">Where the Image is loaded: a 2 MiB-aligned base plus text_offset.</param>
/// <param name="KernelEnd">The end of what the kernel occupies from there (image_size: bss included).</param>
/// <param name="Entry">Where the boot vCPU starts (the Image's first byte), x0 holding the device tree's address.</param>
/// <param name="DeviceTreeAddress">The device tree: 8-byte aligned, inside one 2 MiB block near the top of RAM.</param>
/// <param name="InitrdAddress">The initrd, just below the device tree; null without one.</param>
public sealed record Arm64BootLayout(
    GuestAddress KernelAddress,
    GuestAddress KernelEnd,
    GuestAddress Entry,
    GuestAddress DeviceTreeAddress,
    GuestAddress? InitrdAddress);
