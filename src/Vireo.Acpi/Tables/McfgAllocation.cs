namespace Vireo.Acpi;

/// <summary>One ECAM window of the MCFG (PCI Firmware Specification 3.2 §4.1.2, Table 4-3):
/// BaseAddress is where bus 0 of the segment would start, even if StartBus is not 0.</summary>
internal sealed record McfgAllocation(ulong BaseAddress, ushort Segment, byte StartBus, byte EndBus);
