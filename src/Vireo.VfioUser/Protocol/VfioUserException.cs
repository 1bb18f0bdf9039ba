namespace Vireo.VfioUser;

/// <summary>A vfio-user failure with the errno that goes on the wire: an error reply received
/// from the peer, or a malformed message that this side answers with an error reply.</summary>
public sealed class VfioUserException : Sys.VireoException
{
    public VfioUserException(int errno, string message)
        : base($"{message} ({Sys.Errno.Name(errno)})")
    {
        Errno = errno;
    }

    public int Errno { get; }
}
