namespace Vireo.Acpi;

/// <summary>Word/DWord/QWord Address Space Descriptors (ACPI 6.5 §6.4.3.5.1-3): the ranges a
/// bridge decodes, e.g. a PCI host bridge's _CRS. Ranges are min-fixed, max-fixed and
/// positively decoded, with zero granularity and translation, which is what a VMM describes.</summary>
internal sealed class AddressSpaceDescriptor : IAmlResourceDescriptor
{
    // Large item names (§6.4.3): QWord 0x0A, DWord 0x07, Word 0x08.
    private const byte QWordTag = 0x8A;
    private const byte DWordTag = 0x87;
    private const byte WordTag = 0x88;

    // Resource Type (§6.4.3.5.1 Table 6.47).
    private const byte MemoryRange = 0;
    private const byte IoRange = 1;
    private const byte BusNumberRange = 2;

    // General Flags: bit 0 consumer, bit 1 _DEC subtractive, bit 2 _MIF, bit 3 _MAF.
    private const byte ConsumerFlag = 0x01;
    private const byte MinFixedFlag = 0x04;
    private const byte MaxFixedFlag = 0x08;

    // I/O type-specific flags (§6.4.3.5.5 Table 6.51): _RNG = 3 is EntireRange.
    private const byte IoEntireRange = 0x03;

    private readonly int _width;

    private AddressSpaceDescriptor(int width, byte resourceType, bool producer, byte typeFlags, ulong minimum, ulong maximum)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minimum, maximum);
        ulong length = maximum - minimum + 1;
        if (length == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(maximum), "the range length overflows the descriptor width");
        }
        _width = width;
        ResourceType = resourceType;
        Producer = producer;
        TypeFlags = typeFlags;
        Minimum = minimum;
        Maximum = maximum;
        Length = length;
    }

    public byte ResourceType { get; }

    public bool Producer { get; }

    public byte TypeFlags { get; }

    public ulong Minimum { get; }

    public ulong Maximum { get; }

    public ulong Length { get; }

    public static AddressSpaceDescriptor WordBusNumber(ushort minimum, ushort maximum, bool producer = true) =>
        new(2, BusNumberRange, producer, 0, minimum, maximum);

    public static AddressSpaceDescriptor WordIo(ushort minimum, ushort maximum, bool producer = true) =>
        new(2, IoRange, producer, IoEntireRange, minimum, maximum);

    public static AddressSpaceDescriptor DWordIo(uint minimum, uint maximum, bool producer = true) =>
        new(4, IoRange, producer, IoEntireRange, minimum, maximum);

    public static AddressSpaceDescriptor DWordMemory(uint minimum, uint maximum, AmlMemoryCaching caching, bool readWrite = true, bool producer = true) =>
        new(4, MemoryRange, producer, MemoryFlags(caching, readWrite), minimum, maximum);

    public static AddressSpaceDescriptor QWordMemory(ulong minimum, ulong maximum, AmlMemoryCaching caching, bool readWrite = true, bool producer = true) =>
        new(8, MemoryRange, producer, MemoryFlags(caching, readWrite), minimum, maximum);

    public void AppendTo(AmlSink sink)
    {
        sink.Byte(_width switch { 2 => WordTag, 4 => DWordTag, _ => QWordTag });
        // Length after the 3-byte header: type, general flags, type flags, then five fields.
        sink.Word((ushort)(3 + (5 * _width)));
        sink.Byte(ResourceType);
        sink.Byte((byte)((Producer ? 0 : ConsumerFlag) | MinFixedFlag | MaxFixedFlag));
        sink.Byte(TypeFlags);
        Field(sink, 0); // granularity
        Field(sink, Minimum);
        Field(sink, Maximum);
        Field(sink, 0); // translation offset
        Field(sink, Length);
    }

    // Memory type-specific flags (§6.4.3.5.5 Table 6.50): bit 0 _RW, bits 1-2 _MEM; _MTP and _TTP zero
    // (AddressRangeMemory, TypeStatic).
    private static byte MemoryFlags(AmlMemoryCaching caching, bool readWrite) =>
        (byte)((readWrite ? 1 : 0) | ((byte)caching << 1));

    private void Field(AmlSink sink, ulong value)
    {
        switch (_width)
        {
            case 2: sink.Word((ushort)value); break;
            case 4: sink.DWord((uint)value); break;
            default: sink.QWord(value); break;
        }
    }
}
