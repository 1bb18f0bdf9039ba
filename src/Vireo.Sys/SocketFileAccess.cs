using System.Globalization;

namespace Vireo.Sys;

/// <summary>Who may connect to a listening UNIX socket: the socket file's mode and, optionally,
/// its owner and group (user/group names or numeric ids).</summary>
public sealed record SocketFileAccess(UnixFileMode Mode, string? Owner = null, string? Group = null)
{
    /// <summary>Only the owner may connect (0600).</summary>
    public static SocketFileAccess OwnerOnly { get; } = new(UnixFileMode.UserRead | UnixFileMode.UserWrite);

    /// <summary>Parses an octal mode such as "600" or "0660"; only permission bits are allowed.</summary>
    public static UnixFileMode ParseMode(string octal)
    {
        if (!uint.TryParse(octal, NumberStyles.None, CultureInfo.InvariantCulture, out _) || octal.Any(c => c > '7'))
        {
            throw new ArgumentException($"socket mode '{octal}' is not an octal number such as 0600", nameof(octal));
        }
        uint mode = Convert.ToUInt32(octal, 8);
        return mode > 0x1ff
            ? throw new ArgumentException($"socket mode '{octal}' has bits beyond 0777", nameof(octal))
            : (UnixFileMode)mode;
    }

    internal uint? OwnerId => Owner is null ? null : Resolve(Owner, "user", name => UserDatabase.UserByName(name)?.Uid);

    internal uint? GroupId => Group is null ? null : Resolve(Group, "group", UserDatabase.GroupByName);

    private static uint Resolve(string name, string what, Func<string, uint?> lookup)
    {
        if (uint.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out uint id))
        {
            return id;
        }
        return lookup(name) ?? throw new ArgumentException($"no {what} named '{name}'");
    }
}
