using System.Globalization;
using System.Buffers.Binary;
using System.Text;

namespace Vireo.Virtio;

/// <summary>An Ethernet MAC address, six bytes in wire order.</summary>
public readonly record struct MacAddress
{
    private readonly ulong _value;

    private MacAddress(ulong value) => _value = value;

    /// <summary>The address from its six bytes.</summary>
    /// <param name="bytes">Exactly six bytes, first byte first on the wire.</param>
    /// <exception cref="ArgumentException">Not six bytes.</exception>
    public MacAddress(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != 6)
        {
            throw new ArgumentException($"a MAC address is 6 bytes, not {bytes.Length}", nameof(bytes));
        }
        ulong value = 0;
        foreach (byte b in bytes)
        {
            value = (value << 8) | b;
        }
        _value = value;
    }

    /// <summary>True for a group (multicast or broadcast) address: bit 0 of the first byte.</summary>
    public bool IsMulticast => (FirstByte & 1) != 0;

    /// <summary>True for a locally administered address: bit 1 of the first byte.</summary>
    public bool IsLocallyAdministered => (FirstByte & 2) != 0;

    private byte FirstByte => (byte)(_value >> 40);

    /// <summary>A stable locally administered unicast address for <paramref name="name"/> (the
    /// top six bytes of the 64-bit FNV-1a hash of its UTF-8, with the group bit cleared and the
    /// local bit set), so a machine's interface keeps its address, and the guest its DHCP lease,
    /// across runs. Not a cryptographic hash: the name is not secret, and Vireo ships nothing that
    /// needs OpenSSL.</summary>
    /// <param name="name">Any text naming the interface, e.g. the VM's and device's names.</param>
    public static MacAddress FromName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        ulong hash = 0xcbf29ce484222325;
        foreach (byte b in Encoding.UTF8.GetBytes(name))
        {
            hash = (hash ^ b) * 0x100000001b3;
        }
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, hash);
        bytes[0] = (byte)((bytes[0] & ~1) | 2);
        return new MacAddress(bytes[..6]);
    }

    /// <summary>Parses six two-digit hexadecimal bytes separated by ':' or '-'.</summary>
    /// <param name="text">E.g. <c>52:54:00:12:34:56</c>.</param>
    /// <exception cref="FormatException">Not that form.</exception>
    public static MacAddress Parse(string text)
        => TryParse(text, out MacAddress mac) ? mac : throw new FormatException($"'{text}' is not a MAC address (six hex bytes separated by ':', e.g. 52:54:00:12:34:56)");

    /// <summary>Parses six two-digit hexadecimal bytes separated by ':' or '-'.</summary>
    /// <param name="text">E.g. <c>52:54:00:12:34:56</c>.</param>
    /// <param name="mac">The address, when the text is one.</param>
    /// <returns>Whether the text is a MAC address.</returns>
    public static bool TryParse(string? text, out MacAddress mac)
    {
        mac = default;
        if (text is null || text.Length != 17)
        {
            return false;
        }
        ulong value = 0;
        for (int i = 0; i < 6; i++)
        {
            if (i > 0 && text[(3 * i) - 1] is not (':' or '-'))
            {
                return false;
            }
            if (!byte.TryParse(text.AsSpan(3 * i, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out byte b))
            {
                return false;
            }
            value = (value << 8) | b;
        }
        mac = new MacAddress(value);
        return true;
    }

    /// <summary>Writes the six bytes in wire order.</summary>
    /// <param name="destination">At least six bytes.</param>
    public void CopyTo(Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, 6, nameof(destination));
        for (int i = 0; i < 6; i++)
        {
            destination[i] = (byte)(_value >> (40 - (8 * i)));
        }
    }

    /// <summary>The six bytes in wire order.</summary>
    public byte[] ToArray()
    {
        byte[] bytes = new byte[6];
        CopyTo(bytes);
        return bytes;
    }

    /// <summary>Lower-case hexadecimal bytes separated by ':'.</summary>
    public override string ToString()
    {
        Span<byte> b = stackalloc byte[6];
        CopyTo(b);
        return string.Create(CultureInfo.InvariantCulture, $"{b[0]:x2}:{b[1]:x2}:{b[2]:x2}:{b[3]:x2}:{b[4]:x2}:{b[5]:x2}");
    }
}
