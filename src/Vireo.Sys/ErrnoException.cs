using System.Runtime.InteropServices;

namespace Vireo.Sys;

/// <summary>A failed system call: carries errno and the call (or ioctl) that failed.</summary>
public sealed class ErrnoException : VireoException
{
    public ErrnoException(int errno, string call)
        : base($"{call} failed: {Vireo.Sys.Errno.Name(errno)} ({Marshal.GetPInvokeErrorMessage(errno)})")
    {
        Errno = errno;
        Call = call;
    }

    public int Errno { get; }

    public string Call { get; }

    /// <summary>Throws for the errno of the last P/Invoke made with SetLastError.</summary>
    public static ErrnoException FromLastError(string call) => new(Marshal.GetLastPInvokeError(), call);
}
