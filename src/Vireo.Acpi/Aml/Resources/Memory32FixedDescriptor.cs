namespace Vireo.Acpi;

/// <summary>Memory32Fixed (ReadWrite|ReadOnly, base, length): 32-Bit Fixed Memory Range
/// Descriptor (ACPI 6.5 §6.4.3.4), 12 bytes.</summary>
internal sealed class Memory32FixedDescriptor : IAmlResourceDescriptor
{
    // Large item 0x06; the length field counts the 9 bytes after it.
    private const byte Tag = 0x86;
    private const ushort BodyLength = 9;

    public Memory32FixedDescriptor(uint baseAddress, uint length, bool readWrite = true)
    {
        BaseAddress = baseAddress;
        Length = length;
        ReadWrite = readWrite;
    }

    public uint BaseAddress { get; }

    public uint Length { get; }

    public bool ReadWrite { get; }

    public void AppendTo(AmlSink sink)
    {
        sink.Byte(Tag);
        sink.Word(BodyLength);
        // Information bit 0 (_RW): 1 = writeable.
        sink.Byte(ReadWrite ? (byte)1 : (byte)0);
        sink.DWord(BaseAddress);
        sink.DWord(Length);
    }
}
