namespace Vireo.Vmm;

/// <summary>Presses the guest's power button (the PC's ACPI power button, the arm64 machine's GPIO
/// power key). A running guest gets the press (a request to power off); a guest suspended to idle
/// is woken by it, as a laptop is.</summary>
/// <param name="source">Who pressed it, for the events ("api", "sigterm").</param>
public sealed class PressPowerButton(string source = "api") : VmmRequest<VmmAck>
{
    /// <summary>Who pressed it.</summary>
    public string Source { get; } = source;
}
