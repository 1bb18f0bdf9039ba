namespace Vireo.Acpi;

/// <summary>IO (Decode16|Decode10, min, max, alignment, length): I/O Port Descriptor
/// (ACPI 6.5 §6.4.2.5), 8 bytes.</summary>
internal sealed class IoDescriptor : IAmlResourceDescriptor
{
    // Small item name 0x08, length 7.
    private const byte Tag = 0x47;

    public IoDescriptor(ushort minimum, ushort maximum, byte alignment, byte length, bool decode16 = true)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minimum, maximum);
        Minimum = minimum;
        Maximum = maximum;
        Alignment = alignment;
        Length = length;
        Decode16 = decode16;
    }

    /// <summary>A single fixed range: min = max = base, alignment 1.</summary>
    public IoDescriptor(ushort port, byte length)
        : this(port, port, 1, length)
    {
    }

    public ushort Minimum { get; }

    public ushort Maximum { get; }

    public byte Alignment { get; }

    public byte Length { get; }

    public bool Decode16 { get; }

    public void AppendTo(AmlSink sink)
    {
        sink.Byte(Tag);
        // Information byte bit 0 (_DEC): 1 = the device decodes all 16 address bits.
        sink.Byte(Decode16 ? (byte)1 : (byte)0);
        sink.Word(Minimum);
        sink.Word(Maximum);
        sink.Byte(Alignment);
        sink.Byte(Length);
    }
}
