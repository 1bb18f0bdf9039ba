namespace Vireo.Vmm;

/// <summary>Lets an assigned PCI device enter low power, or brings it back (<c>vm.device-power</c>).
/// The guest is not told: this is the host's power policy for a device the guest leaves idle, and
/// the guest's next access to it wakes it.</summary>
public sealed class SetDeviceLowPower(string id, bool lowPower) : VmmRequest<VmmAck>
{
    /// <summary>The device's id (<c>--vfio DEVICE,id=NAME</c>).</summary>
    public string Id { get; } = id;

    /// <summary>True to enter low power, false to leave it.</summary>
    public bool LowPower { get; } = lowPower;
}
