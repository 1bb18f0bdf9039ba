namespace Vireo.Vmm;

/// <summary>Sets the status bit of general-purpose event <see cref="Gpe"/> and raises the SCI if
/// the guest enabled it (<c>vm.gpe</c>).</summary>
public sealed class RaiseGpe(int gpe) : VmmRequest<VmmAck>
{
    public int Gpe { get; } = gpe;
}
