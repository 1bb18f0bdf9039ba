namespace Vireo.Acpi;

/// <summary>FieldFlags UpdateRule, bits 5-6 (ACPI 6.5 §20.2.5.2 FieldFlags, §19.6.48).</summary>
public enum AmlFieldUpdate : byte
{
    /// <summary>Preserve: the interpreter reads the access width, merges and writes back.</summary>
    Preserve = 0,
    /// <summary>WriteAsOnes: bits outside the unit are written as 1.</summary>
    WriteAsOnes = 1,
    /// <summary>WriteAsZeros: bits outside the unit are written as 0.</summary>
    WriteAsZeros = 2,
}
