namespace Vireo.Acpi;

/// <summary>ResourceTemplate () { descriptors }: a Buffer holding the descriptors and an End Tag
/// (ACPI 6.5 §6.4.2.9, §19.6.117).</summary>
internal sealed class AmlResourceTemplate : IAml
{
    // ACPI 6.5 §6.4.2.9: End Tag, small item 0xF with length 1: 0x79, then a checksum byte.
    private const byte EndTag = 0x79;

    private readonly IAmlResourceDescriptor[] _descriptors;

    public AmlResourceTemplate(params IEnumerable<IAmlResourceDescriptor> descriptors)
    {
        _descriptors = descriptors.ToArray();
    }

    public IReadOnlyList<IAmlResourceDescriptor> Descriptors => _descriptors;

    /// <summary>When false (the default, as iasl emits) the End Tag checksum is zero, which
    /// §6.4.2.9 defines as "treat the checksum as valid". When true the byte makes the sum of
    /// all descriptor bytes, End Tag included, zero.</summary>
    public bool ComputeChecksum { get; init; }

    public byte[] DescriptorBytes()
    {
        var sink = new AmlSink();
        sink.Append(_descriptors);
        sink.Byte(EndTag);
        byte sum = 0;
        foreach (byte b in sink.WrittenSpan)
        {
            sum += b;
        }
        sink.Byte(ComputeChecksum ? (byte)(0 - sum) : (byte)0);
        return sink.ToArray();
    }

    public void AppendTo(AmlSink sink) => new AmlBuffer(DescriptorBytes()).AppendTo(sink);
}
