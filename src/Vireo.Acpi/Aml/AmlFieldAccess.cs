namespace Vireo.Acpi;

/// <summary>FieldFlags AccessType, bits 0-3 (ACPI 6.5 §20.2.5.2 FieldFlags, §19.6.48).</summary>
public enum AmlFieldAccess : byte
{
    AnyAcc = 0,
    ByteAcc = 1,
    WordAcc = 2,
    DWordAcc = 3,
    QWordAcc = 4,
    BufferAcc = 5,
}
