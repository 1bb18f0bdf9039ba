using System.Text;

namespace Vireo.Acpi;

/// <summary>A NameString (ACPI 6.5 §20.2.2): optional root or parent prefixes, then zero or
/// more 4-character NameSegs. Parsed from ASL spelling: <c>\_SB.PCI0</c>, <c>^^DEV</c>, <c>FOO</c>.
/// Segments shorter than four characters are padded with '_' as iasl does.</summary>
public sealed class AmlPath : IAml
{
    private readonly string[] _segments;

    /// <summary>
    /// Parses <paramref name="path"/> in ASL spelling; throws <see cref="ArgumentException"/> for
    /// an empty name, a segment longer than four characters or not of [A-Z0-9_], or more than 255
    /// segments.
    /// </summary>
    public AmlPath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        int i = 0;
        if (path.StartsWith('\\'))
        {
            IsRooted = true;
            i = 1;
        }
        else
        {
            while (i < path.Length && path[i] == '^')
            {
                i++;
            }
            ParentPrefixes = i;
        }
        string rest = path[i..];
        _segments = rest.Length == 0 ? [] : rest.Split('.').Select(s => ToSegment(s, path)).ToArray();
        if (_segments.Length == 0 && !IsRooted && ParentPrefixes == 0)
        {
            throw new ArgumentException("an AML name needs at least one segment or a prefix", nameof(path));
        }
        if (_segments.Length > byte.MaxValue)
        {
            throw new ArgumentException("MultiNamePrefix allows at most 255 segments (ACPI 6.5 §20.2.2)", nameof(path));
        }
    }

    /// <summary>True for a name starting with <c>\</c> (from the namespace root).</summary>
    public bool IsRooted { get; }

    /// <summary>How many <c>^</c> (parent scope) prefixes the name starts with.</summary>
    public int ParentPrefixes { get; }

    /// <summary>The NameSegs, each padded to four characters.</summary>
    public IReadOnlyList<string> Segments => _segments;

    /// <summary>Lets an ASL-spelled string stand wherever a path is expected.</summary>
    public static implicit operator AmlPath(string path) => new(path);

    /// <inheritdoc/>
    public void AppendTo(AmlSink sink)
    {
        if (IsRooted)
        {
            sink.Byte(AmlOpcode.RootChar);
        }
        for (int p = 0; p < ParentPrefixes; p++)
        {
            sink.Byte(AmlOpcode.ParentPrefixChar);
        }
        switch (_segments.Length)
        {
            case 0:
                sink.Byte(AmlOpcode.NullName);
                break;
            case 1:
                break;
            case 2:
                sink.Byte(AmlOpcode.DualNamePrefix);
                break;
            default:
                sink.Byte(AmlOpcode.MultiNamePrefix);
                sink.Byte((byte)_segments.Length);
                break;
        }
        foreach (string segment in _segments)
        {
            sink.Bytes(Encoding.ASCII.GetBytes(segment));
        }
    }

    /// <summary>The name in ASL spelling, segments padded (e.g. <c>\_SB_.PCI0</c>).</summary>
    public override string ToString() =>
        (IsRooted ? "\\" : new string('^', ParentPrefixes)) + string.Join('.', _segments);

    // ACPI 6.5 §20.2.2: LeadNameChar is 'A'-'Z' or '_'; NameChar adds '0'-'9'.
    private static string ToSegment(string segment, string path)
    {
        if (segment.Length is 0 or > 4)
        {
            throw new ArgumentException($"'{path}': name segments are 1 to 4 characters", nameof(path));
        }
        for (int c = 0; c < segment.Length; c++)
        {
            char ch = segment[c];
            bool lead = ch is (>= 'A' and <= 'Z') or '_';
            if (!(lead || (c > 0 && ch is >= '0' and <= '9')))
            {
                throw new ArgumentException($"'{path}': '{ch}' is not allowed in an AML name segment (upper case, digits, '_')", nameof(path));
            }
        }
        return segment.PadRight(4, '_');
    }
}
