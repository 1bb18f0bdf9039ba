namespace Vireo.Acpi;

/// <summary>Address space IDs shared by OperationRegion's RegionSpace (ACPI 6.5 §19.6.100)
/// and the Generic Address Structure (ACPI 6.5 §5.2.3.2, Table 5.1).</summary>
public enum AcpiAddressSpace : byte
{
    /// <summary>System memory (MMIO and RAM).</summary>
    SystemMemory = 0x00,
    /// <summary>System I/O ports.</summary>
    SystemIO = 0x01,
    /// <summary>PCI configuration space.</summary>
    PciConfig = 0x02,
    /// <summary>Embedded controller.</summary>
    EmbeddedControl = 0x03,
    /// <summary>SMBus.</summary>
    SMBus = 0x04,
    /// <summary>System CMOS.</summary>
    SystemCmos = 0x05,
    /// <summary>PCI BAR target.</summary>
    PciBarTarget = 0x06,
    /// <summary>IPMI.</summary>
    Ipmi = 0x07,
    /// <summary>General-purpose I/O.</summary>
    GeneralPurposeIO = 0x08,
    /// <summary>Generic serial bus.</summary>
    GenericSerialBus = 0x09,
    /// <summary>Platform Communications Channel.</summary>
    PlatformCommChannel = 0x0A,
    /// <summary>Functional fixed hardware (in the GAS only).</summary>
    FunctionalFixedHardware = 0x7F,
}
