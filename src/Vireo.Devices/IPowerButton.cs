namespace Vireo.Devices;

/// <summary>
/// A machine's power button, as the host presses it: the PC's ACPI fixed-feature button
/// (<see cref="AcpiPmDevice"/>), the arm64 machine's GPIO key (<see cref="GpioPowerKey"/>). A
/// press asks the guest to power off; what the guest does with it is its own business.
/// </summary>
public interface IPowerButton
{
    /// <summary>What the button is, for messages ("ACPI power button").</summary>
    string PowerButtonName { get; }

    /// <summary>Presses the button once; callable from any thread.</summary>
    void Press();
}
