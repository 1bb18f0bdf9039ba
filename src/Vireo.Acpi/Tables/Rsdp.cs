namespace Vireo.Acpi;

/// <summary>Root System Description Pointer, revision 2 (ACPI 6.5 §5.2.5.3, Table 5.3). It points
/// at the XSDT only; the 32-bit RSDT address stays zero.</summary>
internal sealed class Rsdp
{
    public const int Length = 36;
    public const byte Revision = 2;

    // The first checksum covers the ACPI 1.0 part (bytes 0-19), the extended one all 36 bytes.
    internal const int ChecksumOffset = 8;
    internal const int V1Length = 20;
    internal const int ExtendedChecksumOffset = 32;

    public Rsdp(ulong xsdtAddress, string oemId = "VIREO")
    {
        XsdtAddress = xsdtAddress;
        OemId = oemId;
    }

    public ulong XsdtAddress { get; }

    public string OemId { get; }

    public byte[] ToBytes()
    {
        var sink = new AmlSink(Length);
        sink.Bytes("RSD PTR "u8);
        sink.Byte(0); // Checksum
        sink.Bytes(AcpiTableWriter.AsciiField(OemId, 6));
        sink.Byte(Revision);
        sink.DWord(0); // RsdtAddress: no RSDT
        sink.DWord(Length);
        sink.QWord(XsdtAddress);
        sink.Byte(0); // Extended Checksum
        sink.Bytes([0, 0, 0]);
        byte[] rsdp = sink.ToArray();
        AcpiChecksum.Update(rsdp.AsSpan(0, V1Length), ChecksumOffset);
        AcpiChecksum.Update(rsdp, ExtendedChecksumOffset);
        return rsdp;
    }
}
