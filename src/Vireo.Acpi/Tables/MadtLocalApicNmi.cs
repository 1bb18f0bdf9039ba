namespace Vireo.Acpi;

/// <summary>Local APIC NMI Structure, type 4, 6 bytes (ACPI 6.5 §5.2.12.7, Table 5.30): which LINT
/// pin carries NMI. Processor UID 0xFF means all processors.</summary>
internal sealed record MadtLocalApicNmi(byte ProcessorUid = MadtLocalApicNmi.AllProcessors, byte Lint = 1, MpsIntiFlags Flags = MpsIntiFlags.Conforms) : MadtEntry
{
    public const byte AllProcessors = 0xFF;

    internal override void WriteTo(AcpiTableWriter writer)
    {
        writer.Byte(4);
        writer.Byte(6);
        writer.Byte(ProcessorUid);
        writer.Word((ushort)Flags);
        writer.Byte(Lint);
    }
}
