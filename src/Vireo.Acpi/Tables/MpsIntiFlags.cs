namespace Vireo.Acpi;

/// <summary>MPS INTI Flags (ACPI 6.5 §5.2.12.5, Table 5.27): polarity in bits 0-1, trigger mode
/// in bits 2-3; zero means "conforms to the bus".</summary>
[Flags]
public enum MpsIntiFlags : ushort
{
    /// <summary>Polarity and trigger mode conform to the bus (ISA: active high, edge).</summary>
    Conforms = 0,
    /// <summary>Active-high polarity.</summary>
    ActiveHigh = 0b01,
    /// <summary>Active-low polarity.</summary>
    ActiveLow = 0b11,
    /// <summary>Edge-triggered.</summary>
    EdgeTriggered = 0b01 << 2,
    /// <summary>Level-triggered.</summary>
    LevelTriggered = 0b11 << 2,
}
