namespace Vireo.Sys;

/// <summary>errno values (asm-generic/errno-base.h, errno.h) Vireo tests for by name.</summary>
public static class Errno
{
    /// <summary>Operation not permitted (errno-base.h).</summary>
    public const int EPERM = 1;
    /// <summary>No such file or directory (errno-base.h).</summary>
    public const int ENOENT = 2;
    /// <summary>Interrupted system call: the caller retries (errno-base.h).</summary>
    public const int EINTR = 4;
    /// <summary>I/O error (errno-base.h).</summary>
    public const int EIO = 5;
    /// <summary>No such device or address (errno-base.h).</summary>
    public const int ENXIO = 6;
    /// <summary>Argument list too long (errno-base.h).</summary>
    public const int E2BIG = 7;
    /// <summary>Bad file descriptor (errno-base.h).</summary>
    public const int EBADF = 9;
    /// <summary>
    /// Try again: a non-blocking call would block (errno-base.h; EWOULDBLOCK is the same value).
    /// </summary>
    public const int EAGAIN = 11;
    /// <summary>Out of memory (errno-base.h).</summary>
    public const int ENOMEM = 12;
    /// <summary>Permission denied (errno-base.h).</summary>
    public const int EACCES = 13;
    /// <summary>Bad address: the kernel could not access a user pointer (errno-base.h).</summary>
    public const int EFAULT = 14;
    /// <summary>Device or resource busy (errno-base.h).</summary>
    public const int EBUSY = 16;
    /// <summary>File exists (errno-base.h).</summary>
    public const int EEXIST = 17;
    /// <summary>No such device (errno-base.h).</summary>
    public const int ENODEV = 19;
    /// <summary>Invalid argument (errno-base.h).</summary>
    public const int EINVAL = 22;
    /// <summary>Inappropriate ioctl for device: the driver lacks the request (errno-base.h).</summary>
    public const int ENOTTY = 25;
    /// <summary>File table overflow: the system's open-file limit (errno-base.h).</summary>
    public const int ENFILE = 23;
    /// <summary>Too many open files in this process (errno-base.h).</summary>
    public const int EMFILE = 24;
    /// <summary>No space left on device (errno-base.h).</summary>
    public const int ENOSPC = 28;
    /// <summary>Broken pipe: the peer no longer reads (errno-base.h).</summary>
    public const int EPIPE = 32;
    /// <summary>Result out of range (errno-base.h).</summary>
    public const int ERANGE = 34;
    /// <summary>Function not implemented, e.g. a syscall the kernel lacks (errno.h).</summary>
    public const int ENOSYS = 38;
    /// <summary>
    /// Operation not supported (errno.h; same value as <see cref="EOPNOTSUPP"/> on Linux).
    /// </summary>
    public const int ENOTSUP = 95;
    /// <summary>
    /// Operation not supported on socket (errno.h; same value as <see cref="ENOTSUP"/>).
    /// </summary>
    public const int EOPNOTSUPP = 95;
    /// <summary>Address already in use (errno.h).</summary>
    public const int EADDRINUSE = 98;
    /// <summary>Software caused connection abort: a connection went away before accept took it (errno.h).</summary>
    public const int ECONNABORTED = 103;
    /// <summary>Connection reset by peer (errno.h).</summary>
    public const int ECONNRESET = 104;
    /// <summary>Connection timed out (errno.h).</summary>
    public const int ETIMEDOUT = 110;
    /// <summary>Connection refused: nothing listens there (errno.h).</summary>
    public const int ECONNREFUSED = 111;

    private static readonly Dictionary<int, string> s_names = new()
    {
        [EPERM] = "EPERM", [ENOENT] = "ENOENT", [EINTR] = "EINTR", [EIO] = "EIO", [ENXIO] = "ENXIO",
        [E2BIG] = "E2BIG", [EBADF] = "EBADF", [EAGAIN] = "EAGAIN", [ENOMEM] = "ENOMEM",
        [EACCES] = "EACCES", [EFAULT] = "EFAULT", [EBUSY] = "EBUSY", [EEXIST] = "EEXIST",
        [ENODEV] = "ENODEV", [EINVAL] = "EINVAL", [ENOTTY] = "ENOTTY", [ENFILE] = "ENFILE", [EMFILE] = "EMFILE", [ENOSPC] = "ENOSPC",
        [EPIPE] = "EPIPE", [ERANGE] = "ERANGE", [ENOSYS] = "ENOSYS", [ENOTSUP] = "EOPNOTSUPP",
        [EADDRINUSE] = "EADDRINUSE", [ECONNABORTED] = "ECONNABORTED", [ECONNRESET] = "ECONNRESET",
        [ETIMEDOUT] = "ETIMEDOUT", [ECONNREFUSED] = "ECONNREFUSED",
    };

    /// <summary>
    /// The symbolic name of <paramref name="errno"/> (<c>EINVAL</c>), or <c>errno N</c> for one not
    /// listed here.
    /// </summary>
    public static string Name(int errno) => s_names.TryGetValue(errno, out string? name) ? name : $"errno {errno}";
}
