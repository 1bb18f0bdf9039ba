namespace Vireo.Sys;

/// <summary>The passwd and group databases through glibc (getpwnam, getpwuid, getgrnam, so NSS
/// sources count as they do for every other program): the one place that reads their structs.</summary>
internal static class UserDatabase
{
    /// <summary>The uid and primary gid of user <paramref name="name"/>; null when there is none.</summary>
    public static unsafe (uint Uid, uint Gid)? UserByName(string name)
    {
        nint entry = Interop.Sys.GetPwNam(name);
        // Safe: a non-null entry is a struct passwd with its uid and gid at these offsets.
        return entry == 0 ? null : (*(uint*)(entry + Interop.Sys.PasswdUidOffset), *(uint*)(entry + Interop.Sys.PasswdGidOffset));
    }

    /// <summary>The primary gid of uid <paramref name="uid"/>; null when it has no passwd entry.</summary>
    public static unsafe uint? PrimaryGroupOf(uint uid)
    {
        nint entry = Interop.Sys.GetPwUid(uid);
        // Safe: as above.
        return entry == 0 ? null : *(uint*)(entry + Interop.Sys.PasswdGidOffset);
    }

    /// <summary>The gid of group <paramref name="name"/>; null when there is none.</summary>
    public static unsafe uint? GroupByName(string name)
    {
        nint entry = Interop.Sys.GetGrNam(name);
        // Safe: a non-null entry is a struct group with its gid at this offset.
        return entry == 0 ? null : *(uint*)(entry + Interop.Sys.GroupGidOffset);
    }
}
