namespace Vireo.Acpi;

/// <summary>Interrupt polarity, the _LL bit of IRQ and Extended Interrupt descriptors
/// (ACPI 6.5 §6.4.2.1, §6.4.3.6).</summary>
internal enum AmlInterruptPolarity
{
    ActiveHigh,
    ActiveLow,
}
