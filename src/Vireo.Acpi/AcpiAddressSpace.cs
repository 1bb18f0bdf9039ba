namespace Vireo.Acpi;

/// <summary>Address space IDs shared by OperationRegion's RegionSpace (ACPI 6.5 §19.6.100)
/// and the Generic Address Structure (ACPI 6.5 §5.2.3.2, Table 5.1).</summary>
public enum AcpiAddressSpace : byte
{
    SystemMemory = 0x00,
    SystemIO = 0x01,
    PciConfig = 0x02,
    EmbeddedControl = 0x03,
    SMBus = 0x04,
    SystemCmos = 0x05,
    PciBarTarget = 0x06,
    Ipmi = 0x07,
    GeneralPurposeIO = 0x08,
    GenericSerialBus = 0x09,
    PlatformCommChannel = 0x0A,
    FunctionalFixedHardware = 0x7F,
}
