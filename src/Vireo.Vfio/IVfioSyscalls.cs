using Vireo.Sys;

namespace Vireo.Vfio;

/// <summary>The system calls the kernel backend makes, behind a seam so tests can replay the
/// open and ioctl sequences of a host that has VFIO without one. Failures throw
/// <see cref="ErrnoException"/> naming the call.</summary>
internal interface IVfioSyscalls
{
    /// <summary>open(2) read-write, close-on-exec.</summary>
    SafeFd Open(string path);

    /// <summary>An ioctl whose argument is a value (or none); returns the kernel's result.</summary>
    int Ioctl(SafeFd fd, nuint request, nint value, string name);

    /// <summary>An ioctl whose argument points at <paramref name="arg"/>, which the kernel may read and write.</summary>
    int Ioctl(SafeFd fd, nuint request, Span<byte> arg, string name);

    /// <summary>pread(2) until full or end of file; returns the bytes read.</summary>
    int ReadAt(SafeFd fd, long offset, Span<byte> buffer);

    /// <summary>pwrite(2) of all of <paramref name="data"/>.</summary>
    void WriteAt(SafeFd fd, long offset, ReadOnlySpan<byte> data);

    /// <summary>A separately owned descriptor for the same open file.</summary>
    SafeFd Duplicate(SafeFd fd);
}
