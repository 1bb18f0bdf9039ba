namespace Vireo.Acpi;

/// <summary>A string constant (ACPI 6.5 §20.2.3 String): StringPrefix, ASCII 0x01-0x7F, NUL.</summary>
public sealed class AmlString : IAml
{
    /// <summary>
    /// The string <paramref name="value"/>; throws <see cref="ArgumentException"/> for a character
    /// outside ASCII 0x01-0x7F.
    /// </summary>
    public AmlString(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Any(c => c is < '\u0001' or > '\u007F'))
        {
            throw new ArgumentException("AML strings hold ASCII 0x01-0x7F only (ACPI 6.5 §20.2.3 AsciiChar)", nameof(value));
        }
        Value = value;
    }

    /// <summary>The string, without the terminating NUL.</summary>
    public string Value { get; }

    /// <inheritdoc/>
    public void AppendTo(AmlSink sink)
    {
        sink.Byte(AmlOpcode.StringPrefix);
        foreach (char c in Value)
        {
            sink.Byte((byte)c);
        }
        sink.Byte(0);
    }
}
