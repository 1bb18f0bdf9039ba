namespace Vireo.Acpi;

/// <summary>An Interrupt Controller Structure of the MADT (ACPI 6.5 §5.2.12, Table 5.21).</summary>
public abstract record MadtEntry
{
    private protected MadtEntry()
    {
    }

    internal abstract void WriteTo(AcpiTableWriter writer);
}
