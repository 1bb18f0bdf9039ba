namespace Vireo.Acpi;

/// <summary>MPS INTI Flags (ACPI 6.5 §5.2.12.5, Table 5.27): polarity in bits 0-1, trigger mode
/// in bits 2-3; zero means "conforms to the bus".</summary>
[Flags]
public enum MpsIntiFlags : ushort
{
    Conforms = 0,
    ActiveHigh = 0b01,
    ActiveLow = 0b11,
    EdgeTriggered = 0b01 << 2,
    LevelTriggered = 0b11 << 2,
}
