namespace Vireo.Acpi;

/// <summary>Interrupt Source Override Structure, type 2, 10 bytes (ACPI 6.5 §5.2.12.5, Table 5.26):
/// ISA IRQ <paramref name="Source"/> arrives on <paramref name="Gsi"/>. Bus 0 is ISA.</summary>
public sealed record MadtInterruptOverride(byte Source, uint Gsi, MpsIntiFlags Flags = MpsIntiFlags.Conforms) : MadtEntry
{
    internal override void WriteTo(AcpiTableWriter writer)
    {
        writer.Byte(2);
        writer.Byte(10);
        writer.Byte(0); // Bus: ISA
        writer.Byte(Source);
        writer.DWord(Gsi);
        writer.Word((ushort)Flags);
    }
}
