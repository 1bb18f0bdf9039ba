namespace Vireo.Acpi;

/// <summary>FieldFlags AccessType, bits 0-3 (ACPI 6.5 §20.2.5.2 FieldFlags, §19.6.48).</summary>
public enum AmlFieldAccess : byte
{
    /// <summary>Any width the interpreter chooses.</summary>
    AnyAcc = 0,
    /// <summary>8-bit accesses.</summary>
    ByteAcc = 1,
    /// <summary>16-bit accesses.</summary>
    WordAcc = 2,
    /// <summary>32-bit accesses.</summary>
    DWordAcc = 3,
    /// <summary>64-bit accesses.</summary>
    QWordAcc = 4,
    /// <summary>Buffer accesses (for serial-bus regions).</summary>
    BufferAcc = 5,
}
