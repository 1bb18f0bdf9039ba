namespace Vireo.Acpi;

/// <summary>Differentiated System Description Table (ACPI 6.5 §5.2.11.1): header plus the
/// concatenated AML that devices contribute.</summary>
public sealed class Dsdt(params IEnumerable<IAml> body) : DefinitionBlock("DSDT", body);
