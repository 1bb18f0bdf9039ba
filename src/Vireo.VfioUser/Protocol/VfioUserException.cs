namespace Vireo.VfioUser;

/// <summary>A vfio-user failure with the errno that goes on the wire: an error reply received
/// from the peer, or a malformed message that this side answers with an error reply.</summary>
public sealed class VfioUserException : Sys.VireoException
{
    /// <summary>A failure that carries <paramref name="errno"/> on the wire.</summary>
    /// <param name="errno">The errno (positive, as in errno.h).</param>
    /// <param name="message">What failed.</param>
    public VfioUserException(int errno, string message)
        : base($"{message} ({Sys.Errno.Name(errno)})")
    {
        Errno = errno;
    }

    /// <summary>The errno that was received or is to be sent.</summary>
    public int Errno { get; }

    /// <summary>True when the peer answered with an error reply (it is alive and in step, it
    /// refused the request); false for a malformed message found on this side.</summary>
    public bool IsErrorReply { get; init; }
}
