namespace Vireo.Acpi;

/// <summary>Firmware ACPI Control Structure, version 2, 64 bytes, no checksum (ACPI 6.5 §5.2.10,
/// Table 5.14). It must be 64-byte aligned; <see cref="AcpiTableSet"/> places it so.</summary>
public sealed class Facs : IAcpiTable
{
    /// <summary>The FACS length in bytes (ACPI 6.5 Table 5.14).</summary>
    public const int Length = 64;
    /// <summary>The FACS must be 64-byte aligned (ACPI 6.5 §5.2.10).</summary>
    public const int Alignment = 64;
    /// <summary>The FACS version field.</summary>
    public const byte Version = 2;

    /// <summary>
    /// A FACS with <paramref name="hardwareSignature"/>; the waking vectors and global lock are
    /// zero.
    /// </summary>
    public Facs(uint hardwareSignature = 0)
    {
        HardwareSignature = hardwareSignature;
    }

    /// <inheritdoc/>
    public string Signature => "FACS";

    /// <summary>Changes when the hardware configuration changes, so OSPM refuses to resume from S4.</summary>
    public uint HardwareSignature { get; }

    /// <inheritdoc/>
    public byte[] ToBytes()
    {
        var sink = new AmlSink(Length);
        sink.Bytes("FACS"u8);
        sink.DWord(Length);
        sink.DWord(HardwareSignature);
        sink.DWord(0); // Firmware Waking Vector
        sink.DWord(0); // Global Lock
        sink.DWord(0); // Flags: no S4BIOS, no 64-bit wake
        sink.QWord(0); // X Firmware Waking Vector
        sink.Byte(Version);
        sink.Bytes([0, 0, 0]);
        sink.DWord(0); // OSPM Flags
        sink.Bytes(new byte[24]);
        return sink.ToArray();
    }
}
