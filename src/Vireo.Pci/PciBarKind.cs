namespace Vireo.Pci;

/// <summary>What a Base Address Register decodes (PCI 3.0 §6.2.5.1): bit 0 selects I/O or
/// memory, bits 2:1 of a memory BAR its width.</summary>
public enum PciBarKind
{
    /// <summary>Memory space below 4 GiB, one BAR register (type 00b).</summary>
    Memory32,
    /// <summary>Memory space anywhere in 64 bits; takes this BAR register and the next (type 10b).</summary>
    Memory64,
    /// <summary>I/O port space (bit 0 set); at most 256 bytes (PCI 3.0 §6.2.5.1).</summary>
    Io,
}
