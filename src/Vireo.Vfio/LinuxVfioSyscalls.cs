using Vireo.Sys;

namespace Vireo.Vfio;

/// <summary>The real system calls.</summary>
internal sealed class LinuxVfioSyscalls : IVfioSyscalls
{
    public static readonly LinuxVfioSyscalls Instance = new();

    private LinuxVfioSyscalls()
    {
    }

    public SafeFd Open(string path) => SafeFd.Open(path, OpenFlags.ReadWrite);

    public int Ioctl(SafeFd fd, nuint request, nint value, string name) => Sys.Ioctl.Invoke(fd, request, value, name);

    public int Ioctl(SafeFd fd, nuint request, Span<byte> arg, string name) => Sys.Ioctl.Invoke(fd, request, arg, name);

    public int ReadAt(SafeFd fd, long offset, Span<byte> buffer) => FileDescriptor.ReadAt(fd, offset, buffer);

    public void WriteAt(SafeFd fd, long offset, ReadOnlySpan<byte> data) => FileDescriptor.WriteAt(fd, offset, data);

    public SafeFd Duplicate(SafeFd fd) => FileDescriptor.Duplicate(fd);
}
