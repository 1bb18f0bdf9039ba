namespace Vireo.Acpi;

/// <summary>IA-PC Boot Architecture Flags (ACPI 6.5 §5.2.9.3, Table 5.11).</summary>
[Flags]
public enum FadtBootArch : ushort
{
    None = 0,
    LegacyDevices = 1 << 0,
    Keyboard8042 = 1 << 1,
    VgaNotPresent = 1 << 2,
    MsiNotSupported = 1 << 3,
    PcieAspmControls = 1 << 4,
    CmosRtcNotPresent = 1 << 5,
}
