namespace Vireo.Acpi;

/// <summary>Interrupt trigger mode, the _HE bit of IRQ and Extended Interrupt descriptors
/// (ACPI 6.5 §6.4.2.1, §6.4.3.6).</summary>
internal enum AmlInterruptTrigger
{
    Level,
    Edge,
}
