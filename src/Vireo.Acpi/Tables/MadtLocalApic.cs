namespace Vireo.Acpi;

/// <summary>Processor Local APIC Structure, type 0, 8 bytes (ACPI 6.5 §5.2.12.2, Table 5.23).
/// Usable for APIC IDs below 255; use <see cref="MadtLocalX2Apic"/> beyond.</summary>
internal sealed record MadtLocalApic(byte ProcessorUid, byte ApicId, bool Enabled = true, bool OnlineCapable = false) : MadtEntry
{
    internal override void WriteTo(AcpiTableWriter writer)
    {
        writer.Byte(0);
        writer.Byte(8);
        writer.Byte(ProcessorUid);
        writer.Byte(ApicId);
        // Table 5.24: bit 0 Enabled, bit 1 Online Capable (only meaningful when not enabled).
        writer.DWord((Enabled ? 1u : 0) | (OnlineCapable ? 2u : 0));
    }
}
