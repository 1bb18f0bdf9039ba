namespace Vireo.Acpi;

/// <summary>The identification fields of a System Description Table Header (ACPI 6.5 §5.2.6,
/// Table 5.4). Shorter strings are padded with spaces.</summary>
public sealed record AcpiOem(string OemId, string OemTableId, uint OemRevision = 1, string CreatorId = "VIRE", uint CreatorRevision = 1)
{
    /// <summary>Vireo's identity: OEM ID "VIREO", OEM table ID "VIREOVM".</summary>
    public static AcpiOem Vireo { get; } = new("VIREO", "VIREOVM");
}
