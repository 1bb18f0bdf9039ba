namespace Vireo.Acpi;

/// <summary>FieldFlags UpdateRule, bits 5-6 (ACPI 6.5 §20.2.5.2 FieldFlags, §19.6.48).</summary>
public enum AmlFieldUpdate : byte
{
    Preserve = 0,
    WriteAsOnes = 1,
    WriteAsZeros = 2,
}
