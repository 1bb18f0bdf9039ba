namespace Vireo.Acpi;

/// <summary>Processor Local x2APIC Structure, type 9, 16 bytes (ACPI 6.5 §5.2.12.12, Table 5.40).</summary>
internal sealed record MadtLocalX2Apic(uint ProcessorUid, uint X2ApicId, bool Enabled = true, bool OnlineCapable = false) : MadtEntry
{
    internal override void WriteTo(AcpiTableWriter writer)
    {
        writer.Byte(9);
        writer.Byte(16);
        writer.Word(0); // reserved
        writer.DWord(X2ApicId);
        // Same flags as the local APIC structure (Table 5.24).
        writer.DWord((Enabled ? 1u : 0) | (OnlineCapable ? 2u : 0));
        writer.DWord(ProcessorUid);
    }
}
