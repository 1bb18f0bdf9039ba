namespace Vireo.Devices;

/// <summary>A byte the slot's AML writes to the command register of a <see cref="SlotPowerDevice"/>
/// (offset 0); each value names the ACPI object that writes it.</summary>
public enum SlotPowerCommand : byte
{
    /// <summary>_PS0: the guest puts the function in D0.</summary>
    EnterD0 = 0x00,
    /// <summary>_PS3: the guest puts the function in D3 (hot while its power resource stays on).</summary>
    EnterD3Hot = 0x03,
    /// <summary>The power resource's _OFF: the function loses power (D3cold).</summary>
    PowerOff = 0x10,
    /// <summary>The power resource's _ON: power comes back; the function is in D0, uninitialized.</summary>
    PowerOn = 0x11,
    /// <summary>_DSW with Arg0 = 0: the guest disarms the function's wake.</summary>
    DisableWake = 0x20,
    /// <summary>_DSW with Arg0 = 1: the guest arms the function's wake (its _PRW GPE).</summary>
    EnableWake = 0x21,
    /// <summary>_EJ0 with Arg0 = 1: the guest has stopped and removed the function and ejects it
    /// from its slot; the VMM detaches it for good and the slot Device's _STA reads 0 from then on.</summary>
    Eject = 0x30,
}
