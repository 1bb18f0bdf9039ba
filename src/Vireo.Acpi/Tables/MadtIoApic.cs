namespace Vireo.Acpi;

/// <summary>I/O APIC Structure, type 1, 12 bytes (ACPI 6.5 §5.2.12.3, Table 5.25).</summary>
public sealed record MadtIoApic(byte IoApicId, uint Address, uint GsiBase) : MadtEntry
{
    /// <summary>Where the first I/O APIC conventionally sits on PCs.</summary>
    public const uint DefaultAddress = 0xFEC0_0000;

    internal override void WriteTo(AcpiTableWriter writer)
    {
        writer.Byte(1);
        writer.Byte(12);
        writer.Byte(IoApicId);
        writer.Byte(0); // reserved
        writer.DWord(Address);
        writer.DWord(GsiBase);
    }
}
