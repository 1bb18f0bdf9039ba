using System.Runtime.InteropServices;
using Vireo.Sys;

namespace Vireo.Vfio;

/// <summary>Struct-typed ioctls over <see cref="IVfioSyscalls"/>.</summary>
internal static class VfioSyscallExtensions
{
    /// <summary>An ioctl over <paramref name="arg"/>'s bytes, which the kernel may write back.</summary>
    public static int Ioctl<T>(this IVfioSyscalls syscalls, SafeFd fd, nuint request, ref T arg, string name)
        where T : unmanaged
        => syscalls.Ioctl(fd, request, MemoryMarshal.AsBytes(MemoryMarshal.CreateSpan(ref arg, 1)), name);
}
