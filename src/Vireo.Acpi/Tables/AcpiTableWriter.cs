using System.Buffers.Binary;
using System.Text;

namespace Vireo.Acpi;

/// <summary>Writes a System Description Table: header (ACPI 6.5 §5.2.6, Table 5.4), body, then
/// fixes Length and Checksum.</summary>
internal sealed class AcpiTableWriter
{
    public const int HeaderLength = 36;
    public const int LengthOffset = 4;
    public const int ChecksumOffset = 9;

    private readonly AmlSink _sink = new(256);

    public AcpiTableWriter(string signature, byte revision, AcpiOem oem)
    {
        ArgumentNullException.ThrowIfNull(oem);
        Ascii(signature, 4, pad: false);
        _sink.DWord(0); // Length, fixed by Finish
        _sink.Byte(revision);
        _sink.Byte(0); // Checksum, fixed by Finish
        Ascii(oem.OemId, 6);
        Ascii(oem.OemTableId, 8);
        _sink.DWord(oem.OemRevision);
        Ascii(oem.CreatorId, 4);
        _sink.DWord(oem.CreatorRevision);
    }

    public AmlSink Body => _sink;

    public void Byte(byte value) => _sink.Byte(value);

    public void Word(ushort value) => _sink.Word(value);

    public void DWord(uint value) => _sink.DWord(value);

    public void QWord(ulong value) => _sink.QWord(value);

    public void Zeros(int count)
    {
        for (int i = 0; i < count; i++)
        {
            _sink.Byte(0);
        }
    }

    public void Gas(GenericAddress address) => address.WriteTo(_sink);

    public byte[] Finish()
    {
        byte[] table = _sink.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(table.AsSpan(LengthOffset), (uint)table.Length);
        AcpiChecksum.Update(table, ChecksumOffset);
        return table;
    }

    /// <summary>Fixed-width ASCII field, space padded (OEM fields) or exact (signatures).</summary>
    internal static byte[] AsciiField(string value, int width, bool pad = true)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length > width || (!pad && value.Length != width) || value.Any(c => c is < ' ' or > '~'))
        {
            throw new ArgumentException($"'{value}' is not a {width}-character printable ASCII field", nameof(value));
        }
        return Encoding.ASCII.GetBytes(value.PadRight(width, ' '));
    }

    private void Ascii(string value, int width, bool pad = true) => _sink.Bytes(AsciiField(value, width, pad));
}
