namespace Vireo.Virtio;

/// <summary>A disk image was asked for direct I/O (O_DIRECT) on a file system or file that
/// cannot do it (tmpfs before Linux 6.6, procfs, some FUSE and network file systems); the
/// message names the file and says to drop <c>direct</c>.</summary>
public sealed class DirectIoUnsupportedException : IOException
{
    /// <summary>The refusal, with what the kernel said.</summary>
    /// <param name="message">Names the file and the fix.</param>
    /// <param name="inner">The kernel's error, if any.</param>
    public DirectIoUnsupportedException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
