namespace Vireo.VfioUser;

/// <summary>The peer closed the connection, or broke the framing so badly that it was closed.</summary>
public sealed class VfioUserDisconnectedException : Sys.VireoException
{
    /// <summary>A lost connection.</summary>
    /// <param name="message">What was going on when it was lost.</param>
    /// <param name="inner">The socket error, if any.</param>
    public VfioUserDisconnectedException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
