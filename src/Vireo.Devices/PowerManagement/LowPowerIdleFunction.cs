namespace Vireo.Devices;

/// <summary>What a Low Power S0 Idle _DSM call announced, whatever its function index in the
/// UUID that carried it (the indices differ between Intel/Microsoft and AMD). The values are
/// the low nibble of the trap port's code byte.</summary>
public enum LowPowerIdleFunction : byte
{
    /// <summary>s2idle.c ACPI_LPS0_DISPLAY_OFF (older kernels: ACPI_LPS0_SCREEN_OFF) and ACPI_LPS0_DISPLAY_OFF_AMD.</summary>
    DisplayOff = 1,

    /// <summary>s2idle.c ACPI_LPS0_DISPLAY_ON (older: ACPI_LPS0_SCREEN_ON) and ACPI_LPS0_DISPLAY_ON_AMD.</summary>
    DisplayOn = 2,

    /// <summary>s2idle.c ACPI_LPS0_ENTRY / ACPI_LPS0_ENTRY_AMD: the last call before the guest idles.</summary>
    Entry = 3,

    /// <summary>s2idle.c ACPI_LPS0_EXIT / ACPI_LPS0_EXIT_AMD: the first call after the guest woke.</summary>
    Exit = 4,

    /// <summary>s2idle.c ACPI_LPS0_SLEEP_ENTRY (older: ACPI_LPS0_MS_ENTRY), "modern standby" entry.</summary>
    SleepEntry = 5,

    /// <summary>s2idle.c ACPI_LPS0_SLEEP_EXIT (older: ACPI_LPS0_MS_EXIT), "modern standby" exit.</summary>
    SleepExit = 6,
}
