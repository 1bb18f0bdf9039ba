namespace Vireo.Acpi;

/// <summary>One element of a Field list: a named unit <c>NAME, bits</c> or an unnamed
/// reserved gap <c>, bits</c> (ACPI 6.5 §20.2.5.2 NamedField, ReservedField).</summary>
public sealed class AmlFieldUnit
{
    // ACPI 6.5 §20.2.5.2: ReservedField := 0x00 PkgLength.
    private const byte ReservedFieldOp = 0x00;

    private readonly AmlPath? _name;

    private AmlFieldUnit(AmlPath? name, int bits)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bits);
        _name = name;
        Bits = bits;
    }

    /// <summary>The unit's NameSeg, or null for a reserved gap.</summary>
    public string? Name => _name?.Segments[0];

    /// <summary>The unit's width in bits.</summary>
    public int Bits { get; }

    /// <summary>
    /// A named unit <c>NAME, bits</c>; <paramref name="name"/> must be a single NameSeg.
    /// </summary>
    public static AmlFieldUnit Named(string name, int bits)
    {
        var path = new AmlPath(name);
        if (path.IsRooted || path.ParentPrefixes != 0 || path.Segments.Count != 1)
        {
            throw new ArgumentException("a field unit is named by a single NameSeg", nameof(name));
        }
        return new AmlFieldUnit(path, bits);
    }

    /// <summary>
    /// An unnamed gap of <paramref name="bits"/> bits (<c>, bits</c> or <c>Offset</c> in ASL).
    /// </summary>
    public static AmlFieldUnit Reserved(int bits) => new(null, bits);

    internal void AppendTo(AmlSink sink)
    {
        if (_name is null)
        {
            sink.Byte(ReservedFieldOp);
        }
        else
        {
            _name.AppendTo(sink);
        }
        sink.FieldLength(Bits);
    }
}
