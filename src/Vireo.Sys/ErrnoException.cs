using System.Runtime.InteropServices;

namespace Vireo.Sys;

/// <summary>A failed system call: carries errno and the call (or ioctl) that failed.</summary>
public sealed class ErrnoException : VireoException
{
    /// <summary>
    /// A failure of <paramref name="call"/> (a syscall or ioctl name, with its object if useful)
    /// with <paramref name="errno"/>; the message reads <c>CALL failed: ENAME (text)</c>.
    /// </summary>
    public ErrnoException(int errno, string call)
        : base($"{call} failed: {Vireo.Sys.Errno.Name(errno)} ({Marshal.GetPInvokeErrorMessage(errno)})")
    {
        Errno = errno;
        Call = call;
    }

    /// <summary>
    /// The errno the call returned; compare with the <see cref="Sys.Errno"/> constants.
    /// </summary>
    public int Errno { get; }

    /// <summary>The call or ioctl that failed, as given to the constructor.</summary>
    public string Call { get; }

    /// <summary>Throws for the errno of the last P/Invoke made with SetLastError.</summary>
    internal static ErrnoException FromLastError(string call) => new(Marshal.GetLastPInvokeError(), call);
}
