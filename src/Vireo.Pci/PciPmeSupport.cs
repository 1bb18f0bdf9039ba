namespace Vireo.Pci;

/// <summary>PMC PME_Support (PCI Bus Power Management Interface 1.2 §3.2.3, bits 15:11): the
/// power states from which the function can assert PME#. Linux's pci_dev_run_wake() allows
/// runtime wake only from a state listed here, and arms the platform (ACPI _PRW GPE) wake only then.</summary>
[Flags]
public enum PciPmeSupport : ushort
{
    /// <summary>No PME# from any state (the PMC's bits 15:11 read 0).</summary>
    None = 0,
    /// <summary>PMC bit 11: PME# from D0.</summary>
    D0 = 1 << 11,
    /// <summary>PMC bit 12: PME# from D1.</summary>
    D1 = 1 << 12,
    /// <summary>PMC bit 13: PME# from D2.</summary>
    D2 = 1 << 13,
    /// <summary>PMC bit 14: PME# from D3hot.</summary>
    D3Hot = 1 << 14,
    /// <summary>PMC bit 15: PME# from D3cold (the platform keeps the wake path powered).</summary>
    D3Cold = 1 << 15,
}
