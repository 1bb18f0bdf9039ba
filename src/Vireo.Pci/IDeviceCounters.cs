namespace Vireo.Pci;

/// <summary>A device that counts its work (requests, bytes) for <c>vm.info</c>: each counter by
/// its snake_case name, counted since the device was made (reboots included). Safe to read from
/// any thread while the device works.</summary>
public interface IDeviceCounters
{
    /// <summary>The counters now, by name, in a fixed order.</summary>
    IReadOnlyList<KeyValuePair<string, long>> ReadCounters();
}
