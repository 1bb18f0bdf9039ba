namespace Vireo.Acpi;

/// <summary>FADT Fixed Feature Flags (ACPI 6.5 §5.2.9, Table 5.10).</summary>
[Flags]
public enum FadtFlags : uint
{
    /// <summary>No flags.</summary>
    None = 0,
    /// <summary>WBINVD works correctly.</summary>
    Wbinvd = 1u << 0,
    /// <summary>WBINVD flushes caches without invalidating them.</summary>
    WbinvdFlush = 1u << 1,
    /// <summary>C1 is supported on all processors.</summary>
    ProcC1 = 1u << 2,
    /// <summary>C2 works on multiprocessor systems.</summary>
    PLvl2Up = 1u << 3,

    /// <summary>Set: the power button is a control method device or absent; clear: fixed-feature button.</summary>
    PowerButton = 1u << 4,

    /// <summary>Set: the sleep button is a control method device or absent; clear: fixed-feature button.</summary>
    SleepButton = 1u << 5,
    /// <summary>RTC wake status is not a fixed register (FIX_RTC).</summary>
    FixRtc = 1u << 6,
    /// <summary>The RTC can wake the system from S4.</summary>
    RtcS4 = 1u << 7,

    /// <summary>The PM timer is 32 bits wide instead of 24.</summary>
    TmrValExt = 1u << 8,
    /// <summary>The system supports docking.</summary>
    DckCap = 1u << 9,
    /// <summary>RESET_REG describes a usable reset register.</summary>
    ResetRegSupported = 1u << 10,
    /// <summary>The system has no internal expansion.</summary>
    SealedCase = 1u << 11,
    /// <summary>The system has no local input or output devices.</summary>
    Headless = 1u << 12,
    /// <summary>OSPM must execute a processor-native instruction after writing SLP_TYP.</summary>
    CpuSwSleep = 1u << 13,
    /// <summary>The platform supports PCIEXP_WAKE_STS and PCIEXP_WAKE_EN.</summary>
    PciExpWake = 1u << 14,
    /// <summary>OSPM should use a platform clock, not a processor-based timer.</summary>
    UsePlatformClock = 1u << 15,
    /// <summary>RTC_STS is valid after waking from S4.</summary>
    S4RtcStsValid = 1u << 16,
    /// <summary>The platform can be remotely powered on.</summary>
    RemotePowerOnCapable = 1u << 17,
    /// <summary>All local APICs must use the cluster destination model.</summary>
    ForceApicClusterModel = 1u << 18,
    /// <summary>All local xAPICs must use physical destination mode.</summary>
    ForceApicPhysicalDestinationMode = 1u << 19,
    /// <summary>HW_REDUCED_ACPI: no fixed hardware; not valid for this FADT.</summary>
    HardwareReducedAcpi = 1u << 20,
    /// <summary>LOW_POWER_S0_IDLE_CAPABLE: S0 idle (s2idle) is as good as S3.</summary>
    LowPowerS0IdleCapable = 1u << 21,
}
