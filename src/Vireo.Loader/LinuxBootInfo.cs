using Vireo.Memory;

namespace Vireo.Loader;

/// <summary>Where the loader put things: the vCPU starts at <see cref="EntryPoint"/> in 64-bit
/// mode with RSI = <see cref="BootParamsAddress"/>.</summary>
public sealed record LinuxBootInfo(
    GuestAddress EntryPoint,
    GuestAddress BootParamsAddress,
    GuestAddress KernelAddress,
    GuestAddress CmdlineAddress,
    GuestAddress? InitramfsAddress,
    ulong InitramfsSize);
