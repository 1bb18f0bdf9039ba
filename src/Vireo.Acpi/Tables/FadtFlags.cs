namespace Vireo.Acpi;

/// <summary>FADT Fixed Feature Flags (ACPI 6.5 §5.2.9, Table 5.10).</summary>
[Flags]
public enum FadtFlags : uint
{
    None = 0,
    Wbinvd = 1u << 0,
    WbinvdFlush = 1u << 1,
    ProcC1 = 1u << 2,
    PLvl2Up = 1u << 3,

    /// <summary>Set: the power button is a control method device or absent; clear: fixed-feature button.</summary>
    PowerButton = 1u << 4,

    /// <summary>Set: the sleep button is a control method device or absent; clear: fixed-feature button.</summary>
    SleepButton = 1u << 5,
    FixRtc = 1u << 6,
    RtcS4 = 1u << 7,

    /// <summary>The PM timer is 32 bits wide instead of 24.</summary>
    TmrValExt = 1u << 8,
    DckCap = 1u << 9,
    ResetRegSupported = 1u << 10,
    SealedCase = 1u << 11,
    Headless = 1u << 12,
    CpuSwSleep = 1u << 13,
    PciExpWake = 1u << 14,
    UsePlatformClock = 1u << 15,
    S4RtcStsValid = 1u << 16,
    RemotePowerOnCapable = 1u << 17,
    ForceApicClusterModel = 1u << 18,
    ForceApicPhysicalDestinationMode = 1u << 19,
    HardwareReducedAcpi = 1u << 20,
    LowPowerS0IdleCapable = 1u << 21,
}
