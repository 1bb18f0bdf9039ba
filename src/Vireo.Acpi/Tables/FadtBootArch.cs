namespace Vireo.Acpi;

/// <summary>IA-PC Boot Architecture Flags (ACPI 6.5 §5.2.9.3, Table 5.11).</summary>
[Flags]
public enum FadtBootArch : ushort
{
    /// <summary>No flags: a platform with none of the legacy devices below.</summary>
    None = 0,
    /// <summary>
    /// LEGACY_DEVICES: the platform has devices on the LPC or ISA bus the OS cannot enumerate.
    /// </summary>
    LegacyDevices = 1 << 0,
    /// <summary>8042: the platform has an i8042 keyboard controller.</summary>
    Keyboard8042 = 1 << 1,
    /// <summary>VGA Not Present: the OS must not probe VGA hardware.</summary>
    VgaNotPresent = 1 << 2,
    /// <summary>MSI Not Supported: the OS must not enable MSIs.</summary>
    MsiNotSupported = 1 << 3,
    /// <summary>PCIe ASPM Controls: the OS must not enable ASPM.</summary>
    PcieAspmControls = 1 << 4,
    /// <summary>CMOS RTC Not Present: there is no RTC at ports 0x70/0x71.</summary>
    CmosRtcNotPresent = 1 << 5,
}
