using Vireo.Acpi;
using Vireo.Memory;

namespace Vireo.Vmm;

/// <summary>Where the ACPI tables went in guest memory: the RSDP (for boot_params.acpi_rsdp_addr)
/// and every table, RSDP included, in address order.</summary>
public sealed record PlacedAcpiTables(GuestAddress RsdpAddress, IReadOnlyList<PlacedAcpiTable> Tables);
