namespace Vireo.Devices;

/// <summary>
/// The three Low Power S0 Idle _DSM interfaces Linux evaluates (drivers/acpi/x86/s2idle.c), the
/// function indices it calls in each, and which of them Vireo's device offers.
/// </summary>
/// <remarks>
/// Linux reads function 0's buffer (1 to 4 bytes) as the function mask (validate_dsm) and calls
/// a function only when its bit is set (acpi_sleep_run_lps0_dsm). On a non-AMD CPU it uses
/// Intel's UUID (revision 1) and, in current kernels, Microsoft's (revision 0) too; on an AMD CPU, AMD's
/// (revision 0; no off-by-one mask fix, which only AMD0004/AMD0005/AMDI0005 HIDs get) and
/// Microsoft's. Entry order in acpi_s2idle_prepare_late_lps0: display off, AMD's entry,
/// Microsoft's sleep entry and entry, then Intel's entry; exit order in
/// acpi_s2idle_restore_early_lps0 is the mirror image.
/// <para>
/// Microsoft's interface offers only sleep entry/exit: if it also offered display off/on and
/// entry/exit, a guest on Intel would call each of them twice (Linux only logs "Duplicate LPS0
/// _DSM functions") and would trap its LPS0 entry once under Microsoft's UUID before Intel's.
/// As it is, every kernel path makes exactly one LPS0 entry call and one LPS0 exit call per
/// suspend: Intel's (the very last _DSM before idling) or AMD's (followed only by Microsoft's
/// sleep entry). Function 1 returns an empty constraints package because Linux evaluates it
/// without looking at the mask (lpi_device_get_constraints, lpi_device_get_constraints_amd).
/// </para>
/// </remarks>
internal static class LowPowerIdleDsm
{
    public static readonly Guid IntelUuid = new("c4eb40a0-6cd2-11e2-bcfd-0800200c9a66");
    public static readonly Guid AmdUuid = new("e3f32452-febc-43ce-9039-932122d37721");
    public static readonly Guid MicrosoftUuid = new("11e00d56-ce64-47ce-837b-1f898f9aa461");

    // s2idle.c ACPI_LPS0_GET_DEVICE_CONSTRAINTS, the same index in Intel's and AMD's interface.
    public const int GetDeviceConstraints = 1;

    // s2idle.c, Intel's and Microsoft's indices.
    public const int DisplayOff = 3; // ACPI_LPS0_DISPLAY_OFF (was ACPI_LPS0_SCREEN_OFF)
    public const int DisplayOn = 4; // ACPI_LPS0_DISPLAY_ON (was ACPI_LPS0_SCREEN_ON)
    public const int Entry = 5; // ACPI_LPS0_ENTRY
    public const int Exit = 6; // ACPI_LPS0_EXIT
    public const int SleepEntry = 7; // ACPI_LPS0_SLEEP_ENTRY (was ACPI_LPS0_MS_ENTRY)
    public const int SleepExit = 8; // ACPI_LPS0_SLEEP_EXIT (was ACPI_LPS0_MS_EXIT)

    // s2idle.c, AMD's legacy indices.
    public const int EntryAmd = 2; // ACPI_LPS0_ENTRY_AMD
    public const int ExitAmd = 3; // ACPI_LPS0_EXIT_AMD
    public const int DisplayOffAmd = 4; // ACPI_LPS0_DISPLAY_OFF_AMD (was ACPI_LPS0_SCREEN_OFF_AMD)
    public const int DisplayOnAmd = 5; // ACPI_LPS0_DISPLAY_ON_AMD (was ACPI_LPS0_SCREEN_ON_AMD)

    /// <summary>Per interface: its UUID, whether it answers function 1, and the functions that
    /// trap, by index.</summary>
    public static readonly IReadOnlyList<(LowPowerIdleFamily Family, Guid Uuid, bool Constraints, IReadOnlyList<(int Index, LowPowerIdleFunction Function)> Traps)> Interfaces =
    [
        (LowPowerIdleFamily.Intel, IntelUuid, true,
        [
            (DisplayOff, LowPowerIdleFunction.DisplayOff),
            (DisplayOn, LowPowerIdleFunction.DisplayOn),
            (Entry, LowPowerIdleFunction.Entry),
            (Exit, LowPowerIdleFunction.Exit),
        ]),
        (LowPowerIdleFamily.Amd, AmdUuid, true,
        [
            (EntryAmd, LowPowerIdleFunction.Entry),
            (ExitAmd, LowPowerIdleFunction.Exit),
            (DisplayOffAmd, LowPowerIdleFunction.DisplayOff),
            (DisplayOnAmd, LowPowerIdleFunction.DisplayOn),
        ]),
        (LowPowerIdleFamily.Microsoft, MicrosoftUuid, false,
        [
            (SleepEntry, LowPowerIdleFunction.SleepEntry),
            (SleepExit, LowPowerIdleFunction.SleepExit),
        ]),
    ];
}
