using System.Globalization;

namespace Vireo.Sys;

/// <summary>
/// The user and group a process switches to for good (<c>vireo run --user USER[:GROUP]</c>):
/// USER is a name from the passwd database or a number, GROUP a name from the group database
/// or a number, by default the user's primary group. Root (uid 0) is refused: switching to it
/// would give up nothing.
/// </summary>
public sealed record UserIdentity(uint Uid, uint Gid)
{
    /// <summary>Parses and resolves <paramref name="spec"/>; an unknown name, a numeric user with
    /// no passwd entry and no group, or root is an <see cref="ArgumentException"/> saying which.</summary>
    public static UserIdentity Parse(string spec) => Parse(spec, UserDatabase.UserByName, UserDatabase.PrimaryGroupOf, UserDatabase.GroupByName);

    /// <summary><see cref="Parse(string)"/> over given lookups (a name's uid and primary gid, a
    /// uid's primary gid, a group name's gid; null when unknown), for tests.</summary>
    public static UserIdentity Parse(string spec, Func<string, (uint Uid, uint Gid)?> user, Func<uint, uint?> userById, Func<string, uint?> group)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(userById);
        ArgumentNullException.ThrowIfNull(group);
        string[] parts = spec.Split(':');
        if (parts.Length > 2 || parts[0].Length == 0 || (parts.Length == 2 && parts[1].Length == 0))
        {
            throw new ArgumentException($"'{spec}' is not USER or USER:GROUP (names or numbers, e.g. vireo or 1000:1000)");
        }

        uint uid;
        uint? primary;
        if (IsNumber(parts[0], out uint number))
        {
            uid = number;
            primary = userById(number);
        }
        else
        {
            (uint Uid, uint Gid) found = user(parts[0]) ?? throw new ArgumentException($"no user named '{parts[0]}'");
            (uid, primary) = (found.Uid, found.Gid);
        }
        if (uid == 0)
        {
            throw new ArgumentException($"'{parts[0]}' is root: switching to it would give up nothing; name an unprivileged user");
        }

        uint gid;
        if (parts.Length == 2)
        {
            gid = IsNumber(parts[1], out uint g) ? g : group(parts[1]) ?? throw new ArgumentException($"no group named '{parts[1]}'");
        }
        else
        {
            gid = primary ?? throw new ArgumentException($"user {uid} has no passwd entry, so it has no primary group: give one ({uid}:GROUP)");
        }
        return new UserIdentity(uid, gid);
    }

    private static bool IsNumber(string text, out uint value) =>
        uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
}
