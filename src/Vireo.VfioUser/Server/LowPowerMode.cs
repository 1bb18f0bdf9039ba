namespace Vireo.VfioUser;

/// <summary>Where the client has put the device with the Vireo low-power features.</summary>
internal enum LowPowerMode
{
    Off,
    Entered,
    EnteredWithWakeup,
}
