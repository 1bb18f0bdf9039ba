namespace Vireo.Devices;

/// <summary>The power state of an assigned function as the guest's ACPI methods set it
/// (PCI PM 1.2 §5.4 device states; D1 and D2 are not offered).</summary>
public enum SlotDeviceState
{
    /// <summary>Fully on.</summary>
    D0,
    /// <summary>D3 with its power resource still on: the function keeps config space.</summary>
    D3Hot,
    /// <summary>D3 with its power resource off: the host may put the device in low power.</summary>
    D3Cold,
}
