namespace Vireo.Vmm;

/// <summary>Sets the status bit of general-purpose event <see cref="Gpe"/> and raises the SCI if
/// the guest enabled it (<c>vm.gpe</c>).</summary>
public sealed class RaiseGpe(int gpe) : VmmRequest<VmmAck>
{
    /// <summary>The GPE number, 0 to <see cref="Vireo.Devices.AcpiPmDevice.GpeCount"/> - 1.</summary>
    public int Gpe { get; } = gpe;
}
