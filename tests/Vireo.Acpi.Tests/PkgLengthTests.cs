using Vireo.TestSupport;
namespace Vireo.Acpi.Tests;

/// <summary>PkgLength (ACPI 6.5 §20.2.4) counts its own bytes, so each size boundary sits one
/// byte lower than the raw 6/12/20/28-bit limits suggest.</summary>
public sealed class PkgLengthTests
{
    [Theory]
    [InlineData(0, "01")]
    [InlineData(62, "3F")]                 // 62 + 1 = 63, the last 1-byte value
    [InlineData(63, "4104")]               // 63 + 2 = 65 = 0x041
    [InlineData(4093, "4FFF")]             // 4093 + 2 = 4095, the last 2-byte value
    [InlineData(4094, "810001")]           // 4094 + 3 = 4097 = 0x1001
    [InlineData(1048572, "8FFFFF")]        // + 3 = 0xFFFFF, the last 3-byte value
    [InlineData(1048573, "C1000001")]      // + 4 = 0x100001
    [InlineData(268435451, "CFFFFFFF")]    // + 4 = 0xFFFFFFF, the largest PkgLength
    public void Encodes_the_shortest_form_that_counts_itself(int contentLength, string expected)
    {
        var sink = new AmlSink();
        sink.PkgLength(contentLength);
        Assert.Equal(expected, Bytes.Hex(sink.WrittenSpan));
        (int value, int bytes) = Acpica.DecodePkgLength(sink.WrittenSpan);
        Assert.Equal(contentLength + bytes, value);
    }

    [Fact]
    public void Rejects_a_package_beyond_28_bits()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new AmlSink().PkgLength(268435452));
    }

    [Theory]
    [InlineData(62, "3E")]
    [InlineData(63, "4F03")]     // iasl sizes field widths like PkgLength but stores the plain count
    [InlineData(64, "4004")]
    [InlineData(4093, "4DFF")]
    [InlineData(4094, "8EFF00")]
    [InlineData(4096, "800001")]
    public void Field_widths_store_the_plain_bit_count(int bits, string expected)
    {
        var sink = new AmlSink();
        sink.FieldLength(bits);
        Assert.Equal(expected, Bytes.Hex(sink.WrittenSpan));
        Assert.Equal(bits, Acpica.DecodePkgLength(sink.WrittenSpan).Value);
    }

    // Buffer content = BufferSize term (0A nn or 0B nn nn) + data.
    [AcpicaTheory]
    [InlineData(60)]    // content 62: 1-byte PkgLength 3F
    [InlineData(61)]    // content 63: 2-byte 41 04
    [InlineData(4090)]  // content 4093: 2-byte 4F FF
    [InlineData(4091)]  // content 4094: 3-byte 81 00 01
    public void Iasl_encodes_buffers_at_the_boundaries_identically(int dataLength)
    {
        byte[] data = Enumerable.Range(0, dataLength).Select(i => (byte)i).ToArray();
        // Name (BUF0, Buffer () { 0x00, 0x01, ... })
        byte[] iasl = Acpica.CompileBody($"Name (BUF0, Buffer () {{ {Acpica.AslOf(data)} }})");
        byte[] ours = AmlSink.Render(new AmlName("BUF0", new AmlBuffer(data)));
        Assert.Equal(Bytes.Hex(iasl), Bytes.Hex(ours));
    }

    /// <summary>iasl needs many minutes for a megabyte buffer, so the 3- and 4-byte forms past
    /// 1 MiB are checked by ACPICA's parser instead: acpiexec must see both buffers at their
    /// full size and still find the object that follows them.</summary>
    [AcpicaFact]
    public void Acpiexec_parses_3_and_4_byte_pkglengths()
    {
        // DWord size prefix (5 bytes) + data: content 1048572 (3-byte max) and 1048573 (4-byte).
        const int threeByteData = 1048572 - 5;
        const int fourByteData = 1048573 - 5;
        var dsdt = new Dsdt(
            new AmlName("BIG3", new AmlBuffer(new byte[threeByteData])),
            new AmlName("BIG4", new AmlBuffer(new byte[fourByteData])),
            new AmlName("AFTR", new AmlInteger(0x1234)),
            new AmlMethod("SZ3", 0, false, new AmlReturn(new AmlUnary(AmlUnaryOperator.SizeOf, new AmlPath("BIG3")))),
            new AmlMethod("SZ4", 0, false, new AmlReturn(new AmlUnary(AmlUnaryOperator.SizeOf, new AmlPath("BIG4")))));
        byte[] table = dsdt.ToBytes();
        Assert.Equal(0x8F, table[36 + 5 + 1]);  // Name 'BIG3' Buffer: 3-byte lead
        Assert.Equal(0xC1, table[36 + 5 + 1 + 3 + 1048572 + 5 + 1]);

        string log = Acpica.Exec("evaluate \\SZ3_;evaluate \\SZ4_;evaluate \\AFTR", ("dsdt", table));
        Assert.Contains($"[Integer] = {threeByteData:X16}", log);
        Assert.Contains($"[Integer] = {fourByteData:X16}", log);
        Assert.Contains("[Integer] = 0000000000001234", log);
    }
}
