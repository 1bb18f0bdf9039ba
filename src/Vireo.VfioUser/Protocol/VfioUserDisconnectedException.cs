namespace Vireo.VfioUser;

/// <summary>The peer closed the connection, or broke the framing so badly that it was closed.</summary>
public sealed class VfioUserDisconnectedException : Sys.VireoException
{
    public VfioUserDisconnectedException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
