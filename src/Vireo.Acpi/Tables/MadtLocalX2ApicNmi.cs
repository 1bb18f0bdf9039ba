namespace Vireo.Acpi;

/// <summary>Local x2APIC NMI Structure, type 0x0A, 12 bytes (ACPI 6.5 §5.2.12.13, Table 5.41).
/// Processor UID 0xFFFFFFFF means all processors.</summary>
internal sealed record MadtLocalX2ApicNmi(uint ProcessorUid = MadtLocalX2ApicNmi.AllProcessors, byte Lint = 1, MpsIntiFlags Flags = MpsIntiFlags.Conforms) : MadtEntry
{
    public const uint AllProcessors = 0xFFFF_FFFF;

    internal override void WriteTo(AcpiTableWriter writer)
    {
        writer.Byte(0x0A);
        writer.Byte(12);
        writer.Word((ushort)Flags);
        writer.DWord(ProcessorUid);
        writer.Byte(Lint);
        writer.Zeros(3);
    }
}
