using Vireo.Acpi;
using Vireo.Devices;

namespace Vireo.Vmm;

/// <summary>
/// GPEs the host raises on demand (`vm.gpe N`): each has an edge-triggered `_Exx` method, so
/// the guest's ACPI core enables it and counts it in /sys/firmware/acpi/interrupts/gpeNN, and
/// each notifies one device, \_SB.HGPE, with 0x80 (a device-specific notification, ACPI 6.5
/// §5.6.6), which a driver can claim.
/// </summary>
public static class HostGpes
{
    /// <summary>GPEs 0..Count-1 are the host's to raise.</summary>
    public const int Count = 16;
    /// <summary>The device the host GPEs notify.</summary>
    public const string DevicePath = "\\_SB.HGPE";
    /// <summary>The notification value each host GPE sends.</summary>
    public const byte NotifyCode = 0x80;

    /// <summary>The device and one _Exx method per host GPE, for the DSDT.</summary>
    public static IEnumerable<IAml> Aml()
    {
        yield return new AmlScope("\\_SB",
            new AmlDevice(DevicePath[5..],
                new AmlName("_HID", new AmlString("VIRE0002")),
                new AmlName("_UID", new AmlInteger(0))));
        for (int gpe = 0; gpe < Count; gpe++)
        {
            yield return GpeNotifyMethod.WithCode(gpe, GpeTrigger.Edge, DevicePath, NotifyCode);
        }
    }
}
