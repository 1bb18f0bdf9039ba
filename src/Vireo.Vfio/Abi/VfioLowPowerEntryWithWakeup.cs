using System.Runtime.InteropServices;

namespace Vireo.Vfio;

/// <summary>struct vfio_device_low_power_entry_with_wakeup: the data of LOW_POWER_ENTRY_WITH_WAKEUP (Linux 6.1+).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct VfioLowPowerEntryWithWakeup
{
    public int WakeupEventFd;
    public uint Reserved;
}
