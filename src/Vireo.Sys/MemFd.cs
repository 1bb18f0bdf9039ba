namespace Vireo.Sys;

/// <summary>memfd_create(2): anonymous files that back guest RAM and device BARs so they can be
/// shared with device processes by passing the fd.</summary>
public static class MemFd
{
    private const uint MfdCloexec = 0x1;
    private const uint MfdAllowSealing = 0x2;

    /// <summary>
    /// memfd_create(2) with close-on-exec, sized to <paramref name="size"/> bytes with ftruncate;
    /// <paramref name="name"/> shows in /proc/PID/fd and is not unique. <paramref name="allowSealing"/>
    /// lets holders add seals (a vfio-user server seals guest RAM against shrinking before it maps
    /// it). Throws <see cref="ErrnoException"/> on failure.
    /// </summary>
    public static SafeFd Create(string name, ulong size, bool allowSealing = false)
    {
        SafeFd fd = Interop.Sys.MemfdCreate(name, MfdCloexec | (allowSealing ? MfdAllowSealing : 0));
        if (fd.IsInvalid)
        {
            fd.Dispose();
            throw ErrnoException.FromLastError("memfd_create");
        }
        if (Interop.Sys.Ftruncate(fd, checked((long)size)) != 0)
        {
            int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            fd.Dispose();
            throw new ErrnoException(errno, "ftruncate memfd");
        }
        return fd;
    }
}
