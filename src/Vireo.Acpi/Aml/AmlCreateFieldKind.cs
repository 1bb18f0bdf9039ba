namespace Vireo.Acpi;

/// <summary>Fixed-size buffer field creators; values are the opcodes (ACPI 6.5 §20.2.5.2).
/// The index is in bits for CreateBitField and in bytes for the others.</summary>
internal enum AmlCreateFieldKind : byte
{
    DWord = 0x8A,
    Word = 0x8B,
    Byte = 0x8C,
    Bit = 0x8D,
    QWord = 0x8F,
}
