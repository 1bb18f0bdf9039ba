namespace Vireo.Acpi;

/// <summary>One ECAM window of the MCFG (PCI Firmware Specification 3.2 §4.1.2, Table 4-3):
/// BaseAddress is where bus 0 of the segment would start, even if StartBus is not 0.</summary>
/// <param name="BaseAddress">The ECAM base: bus b's 1 MiB starts at BaseAddress + (b &lt;&lt; 20).</param>
/// <param name="Segment">The PCI segment group.</param>
/// <param name="StartBus">The first bus the window decodes.</param>
/// <param name="EndBus">The last bus the window decodes.</param>
public sealed record McfgAllocation(ulong BaseAddress, ushort Segment, byte StartBus, byte EndBus);
