namespace Vireo.Sys;

/// <summary>errno values (asm-generic/errno-base.h, errno.h) Vireo tests for by name.</summary>
public static class Errno
{
    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int EINTR = 4;
    public const int EIO = 5;
    public const int ENXIO = 6;
    public const int E2BIG = 7;
    public const int EBADF = 9;
    public const int EAGAIN = 11;
    public const int ENOMEM = 12;
    public const int EACCES = 13;
    public const int EFAULT = 14;
    public const int EBUSY = 16;
    public const int EEXIST = 17;
    public const int ENODEV = 19;
    public const int EINVAL = 22;
    public const int ENOSPC = 28;
    public const int ERANGE = 34;
    public const int ENOSYS = 38;
    public const int ENOTSUP = 95;
    public const int EOPNOTSUPP = 95;
    public const int ECONNRESET = 104;
    public const int ETIMEDOUT = 110;

    private static readonly Dictionary<int, string> s_names = new()
    {
        [EPERM] = "EPERM", [ENOENT] = "ENOENT", [EINTR] = "EINTR", [EIO] = "EIO", [ENXIO] = "ENXIO",
        [E2BIG] = "E2BIG", [EBADF] = "EBADF", [EAGAIN] = "EAGAIN", [ENOMEM] = "ENOMEM",
        [EACCES] = "EACCES", [EFAULT] = "EFAULT", [EBUSY] = "EBUSY", [EEXIST] = "EEXIST",
        [ENODEV] = "ENODEV", [EINVAL] = "EINVAL", [ENOSPC] = "ENOSPC", [ERANGE] = "ERANGE",
        [ENOSYS] = "ENOSYS", [ENOTSUP] = "EOPNOTSUPP", [ECONNRESET] = "ECONNRESET",
        [ETIMEDOUT] = "ETIMEDOUT",
    };

    public static string Name(int errno) => s_names.TryGetValue(errno, out string? name) ? name : $"errno {errno}";
}
