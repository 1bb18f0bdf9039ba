namespace Vireo.Devices;

/// <summary>Which Low Power S0 Idle _DSM interface (by UUID) the guest evaluated. Linux picks by
/// CPU vendor and by what function 0 reports (drivers/acpi/x86/s2idle.c, lps0_device_attach):
/// Intel's on non-AMD CPUs, AMD's legacy one on AMD CPUs, and Microsoft's alongside either.
/// The values are the high nibble of the trap port's code byte.</summary>
public enum LowPowerIdleFamily : byte
{
    /// <summary>s2idle.c ACPI_LPS0_DSM_UUID, c4eb40a0-6cd2-11e2-bcfd-0800200c9a66.</summary>
    Intel = 1,

    /// <summary>s2idle.c ACPI_LPS0_DSM_UUID_AMD, e3f32452-febc-43ce-9039-932122d37721.</summary>
    Amd = 2,

    /// <summary>s2idle.c ACPI_LPS0_DSM_UUID_MICROSOFT, 11e00d56-ce64-47ce-837b-1f898f9aa461.</summary>
    Microsoft = 3,
}
