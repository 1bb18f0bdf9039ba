using System.Globalization;

namespace Vireo.Cli;

/// <summary>`vireo run --vsock socket=PATH[,cid=N][,id=NAME][,slot=N]`: a virtio socket device
/// bridged to host UNIX sockets in Firecracker's way: a host program connects to PATH and writes
/// `CONNECT PORT\n` to reach the guest's PORT; the guest's connections to the host's port P land on
/// PATH_P.</summary>
/// <param name="Socket">The UNIX socket Vireo listens on (it must not exist yet).</param>
/// <param name="Cid">The guest's context id, 3 or more.</param>
/// <param name="Id">The device's name in vm.info and events.</param>
/// <param name="Slot">The PCI slot, 1 to 31, or null for the lowest free one.</param>
internal sealed record VsockOption(string Socket, uint Cid, string Id, int? Slot)
{
    public const string Syntax = "socket=PATH[,cid=N][,id=NAME][,slot=N]";

    /// <summary>The guest's CID when none is given: the first one a guest may have.</summary>
    public const uint DefaultCid = 3;

    /// <summary>The id the device gets when none is given.</summary>
    public const string DefaultId = "vsock0";

    /// <exception cref="FormatException">The value is malformed; the message says how.</exception>
    public static VsockOption Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        (string target, Dictionary<string, string> settings) = DeviceOptionText.Split(
            "--vsock", value, Syntax, "the socket", ["cid=N", "id=NAME", "slot=N"]);
        string path = target.StartsWith("socket=", StringComparison.Ordinal) ? target["socket=".Length..] : target;
        if (path.Length == 0)
        {
            throw new FormatException($"--vsock takes {Syntax}, not '{value}': socket= names no path");
        }
        // sockaddr_un holds 107 bytes of path, and the guest's ports add "_4294967295".
        if (System.Text.Encoding.UTF8.GetByteCount(path) > 107 - 11)
        {
            throw new FormatException($"--vsock socket path '{path}' is too long for a UNIX socket with a port after it (at most 96 bytes)");
        }
        uint cid = DefaultCid;
        if (settings.TryGetValue("cid", out string? text)
            && (!uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out cid) || cid < 3 || cid == uint.MaxValue))
        {
            throw new FormatException($"--vsock cid '{text}' must be a number from 3 to 4294967294 (0 to 2 are the hypervisor's and the host's)");
        }
        return new VsockOption(
            path,
            cid,
            settings.TryGetValue("id", out string? id) ? DeviceOptionText.Id("--vsock", id) : DefaultId,
            settings.TryGetValue("slot", out string? slot) ? DeviceOptionText.Slot("--vsock", slot) : null);
    }
}
