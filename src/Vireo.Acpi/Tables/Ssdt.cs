namespace Vireo.Acpi;

/// <summary>Secondary System Description Table (ACPI 6.5 §5.2.11.2): a definition block loaded
/// after the DSDT.</summary>
public sealed class Ssdt(params IEnumerable<IAml> body) : DefinitionBlock("SSDT", body);
