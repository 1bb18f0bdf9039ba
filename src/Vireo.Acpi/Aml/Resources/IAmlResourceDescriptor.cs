namespace Vireo.Acpi;

/// <summary>A resource data descriptor (ACPI 6.5 §6.4) that may go into a
/// <see cref="AmlResourceTemplate"/>.</summary>
internal interface IAmlResourceDescriptor : IAml
{
}
