using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Vireo.Virtio;

namespace Vireo.Cli;

/// <summary>One `vireo run --net tap[=NAME][,ip=ADDRESS/PREFIX][,mac=MAC][,id=NAME][,slot=N]`: a virtio
/// network device whose other end is a host tap.</summary>
/// <param name="Tap">The tap's name, or null for one the kernel names (tap0, tap1, ...).</param>
/// <param name="HostAddress">The IPv4 address (and prefix) the tap gets on the host, or null for
/// the default: <see cref="DefaultHostAddress"/> on a tap Vireo creates, none on one that exists.</param>
/// <param name="Mac">The guest's MAC address, or null for one made from the id.</param>
/// <param name="Id">The device's name in vm.info and events.</param>
/// <param name="Slot">The PCI slot, 1 to 31, or null for the lowest free one.</param>
internal sealed record NetOption(string? Tap, (IPAddress Address, int Prefix)? HostAddress, MacAddress? Mac, string Id, int? Slot)
{
    public const string Syntax = "tap[=NAME][,ip=ADDRESS/PREFIX][,mac=MAC][,id=NAME][,slot=N]";

    /// <summary>What a tap Vireo creates gets on the host when ip= is not given (cloud-hypervisor's default network).</summary>
    public static readonly (IPAddress Address, int Prefix) DefaultHostAddress = (IPAddress.Parse("192.168.249.1"), 24);

    /// <summary>The id a network device gets when none is given: by position among the --net options.</summary>
    public static string DefaultId(int position) => string.Create(CultureInfo.InvariantCulture, $"net{position}");

    /// <summary>Every --net value, in order; taps, ids and slots must differ between them.</summary>
    /// <exception cref="FormatException">A value is malformed or clashes with another; the message says which.</exception>
    public static IReadOnlyList<NetOption> ParseAll(IReadOnlyList<string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var nets = new List<NetOption>();
        for (int i = 0; i < values.Count; i++)
        {
            NetOption net = Parse(values[i], i);
            if (net.Tap is not null && nets.Any(n => n.Tap == net.Tap))
            {
                throw new FormatException($"--net tap={net.Tap} is given twice; one tap backs one device");
            }
            if (nets.Any(n => n.Id == net.Id))
            {
                throw new FormatException($"--net id '{net.Id}' is given twice; give each device its own id=NAME");
            }
            if (net.Slot is int slot && nets.Any(n => n.Slot == slot))
            {
                throw new FormatException($"--net slot {slot} is given twice; give each device its own slot=N or leave it out");
            }
            nets.Add(net);
        }
        return nets;
    }

    private static NetOption Parse(string value, int position)
    {
        (string target, Dictionary<string, string> settings) = DeviceOptionText.Split(
            "--net", value, Syntax, "the backend", ["ip=ADDRESS/PREFIX", "mac=MAC", "id=NAME", "slot=N"]);
        string? tap = target switch
        {
            "tap" or "tap=" => null,
            _ when target.StartsWith("tap=", StringComparison.Ordinal) => target["tap=".Length..],
            _ => throw new FormatException($"--net takes {Syntax}; the backend is a tap (tap, or tap=NAME), not '{target}'"),
        };
        if (tap is not null && (tap.Length > 15 || tap.Any(c => c is '/' or ':' || char.IsWhiteSpace(c) || char.IsControl(c)) || tap is "." or ".."))
        {
            throw new FormatException($"--net tap name '{tap}' is not an interface name (1 to 15 characters, no '/', ':' or spaces)");
        }
        MacAddress? mac = null;
        if (settings.TryGetValue("mac", out string? macText))
        {
            if (!MacAddress.TryParse(macText, out MacAddress parsed) || parsed.IsMulticast)
            {
                throw new FormatException($"--net mac '{macText}' is not a unicast MAC address such as 52:54:00:12:34:56");
            }
            mac = parsed;
        }
        return new NetOption(
            tap,
            settings.TryGetValue("ip", out string? ip) ? ParseAddress(ip) : null,
            mac,
            settings.TryGetValue("id", out string? id) ? DeviceOptionText.Id("--net", id) : DefaultId(position),
            settings.TryGetValue("slot", out string? slot) ? DeviceOptionText.Slot("--net", slot) : null);
    }

    private static (IPAddress, int) ParseAddress(string text)
    {
        string[] parts = text.Split('/');
        if (parts.Length == 2 && IPAddress.TryParse(parts[0], out IPAddress? address) && address.AddressFamily == AddressFamily.InterNetwork
            && parts[0].Count(c => c == '.') == 3
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int prefix) && prefix is >= 1 and <= 30)
        {
            return (address, prefix);
        }
        throw new FormatException($"--net ip '{text}' is not an IPv4 address with a prefix from 1 to 30, such as 192.168.249.1/24");
    }
}
