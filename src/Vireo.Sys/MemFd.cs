namespace Vireo.Sys;

/// <summary>memfd_create(2): anonymous files that back guest RAM and device BARs so they can be
/// shared with device processes by passing the fd.</summary>
public static class MemFd
{
    private const uint MfdCloexec = 0x1;
    private const uint MfdAllowSealing = 0x2;

    /// <summary>A memfd of <paramref name="size"/> bytes; <paramref name="allowSealing"/> lets
    /// holders add seals (a vfio-user server seals guest RAM against shrinking before it maps it).</summary>
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
