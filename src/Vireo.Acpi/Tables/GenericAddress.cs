namespace Vireo.Acpi;

/// <summary>Generic Address Structure, 12 bytes (ACPI 6.5 §5.2.3.2, Table 5.1).</summary>
internal readonly record struct GenericAddress(AcpiAddressSpace Space, byte BitWidth, byte BitOffset, GasAccessSize AccessSize, ulong Address)
{
    public const int Size = 12;

    public static GenericAddress SystemIO(ushort port, byte lengthBytes, GasAccessSize accessSize) =>
        new(AcpiAddressSpace.SystemIO, (byte)(lengthBytes * 8), 0, accessSize, port);

    internal void WriteTo(AmlSink sink)
    {
        sink.Byte((byte)Space);
        sink.Byte(BitWidth);
        sink.Byte(BitOffset);
        sink.Byte((byte)AccessSize);
        sink.QWord(Address);
    }
}
