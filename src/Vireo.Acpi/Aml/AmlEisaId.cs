namespace Vireo.Acpi;

/// <summary>EISAID ("PNP0A08"): the compressed 32-bit EISA ID integer (ACPI 6.5 §19.3.4).</summary>
public sealed class AmlEisaId : IAml
{
    /// <summary>
    /// EISAID (<paramref name="id"/>), e.g. "PNP0C0C"; throws <see cref="ArgumentException"/> if it
    /// is not three upper-case letters and four hex digits.
    /// </summary>
    public AmlEisaId(string id)
    {
        Id = id;
        Value = Compress(id);
    }

    /// <summary>The ID as written.</summary>
    public string Id { get; }

    /// <summary>The compressed value that the AML integer holds (<see cref="Compress"/>).</summary>
    public uint Value { get; }

    /// <summary>Three letters as 5-bit values ('A' = 1) and four hex digits, stored big-endian:
    /// so the integer is the byte swap of the packed value.</summary>
    public static uint Compress(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (id.Length != 7 || !id[..3].All(c => c is >= 'A' and <= 'Z') || !id[3..].All(char.IsAsciiHexDigit))
        {
            throw new ArgumentException($"'{id}' is not an EISA ID (three upper-case letters and four hex digits)", nameof(id));
        }
        uint packed = ((uint)(id[0] - '@') << 26) | ((uint)(id[1] - '@') << 21) | ((uint)(id[2] - '@') << 16)
            | uint.Parse(id.AsSpan(3), System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture);
        return System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(packed);
    }

    /// <inheritdoc/>
    public void AppendTo(AmlSink sink) => new AmlInteger(Value).AppendTo(sink);
}
