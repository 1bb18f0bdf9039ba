namespace Vireo.Devices.Tests.PowerManagement;

/// <summary>
/// Which LPS0 _DSM calls Linux makes, in order, given the masks function 0 reported: a
/// transcription of drivers/acpi/x86/s2idle.c for two kernel generations, written from the
/// source and not from the device, so tests can check the device against it.
/// </summary>
/// <remarks>
/// Current kernels (lps0_device_attach validates Microsoft's UUID on every vendor;
/// acpi_s2idle_prepare_late_lps0, acpi_s2idle_restore_early_lps0) and 5.x kernels (Microsoft's
/// UUID on AMD only; acpi_s2idle_prepare_late, acpi_s2idle_restore_early, where Microsoft's
/// entry comes after the vendor's and its sleep exit first). A call is made only when its bit
/// is set in the mask (acpi_sleep_run_lps0_dsm); a mask that failed validation is negative.
/// </remarks>
internal static class LinuxLps0Model
{
    public static readonly Guid Intel = new("c4eb40a0-6cd2-11e2-bcfd-0800200c9a66");
    public static readonly Guid Amd = new("e3f32452-febc-43ce-9039-932122d37721");
    public static readonly Guid Microsoft = new("11e00d56-ce64-47ce-837b-1f898f9aa461");

    // s2idle.c function indices.
    private const int DisplayOff = 3, DisplayOn = 4, Entry = 5, Exit = 6, SleepEntry = 7, SleepExit = 8, TurnOnDisplay = 9;
    private const int EntryAmd = 2, ExitAmd = 3, DisplayOffAmd = 4, DisplayOnAmd = 5;

    /// <summary>The revision Linux passes with each UUID (rev_id: 1 for Intel, 0 for AMD
    /// devices other than AMDI0007; 0 for Microsoft).</summary>
    public static int Revision(Guid uuid) => uuid == Intel ? 1 : 0;

    /// <summary>The UUIDs lps0_device_attach validates, and so the function-0 masks it reads.</summary>
    public static Guid[] Validated(bool amd, bool current) =>
        amd ? [Amd, Microsoft] : current ? [Intel, Microsoft] : [Intel];

    public static List<(Guid Uuid, int Function)> EntryCalls(bool amd, bool current, IReadOnlyDictionary<Guid, int> masks)
    {
        (Guid vendor, int vendorMask, int ms) = Masks(amd, current, masks);
        var calls = new List<(Guid, int)>();
        void Run(Guid uuid, int mask, int function)
        {
            if (mask > 0 && (mask & (1 << function)) != 0)
            {
                calls.Add((uuid, function));
            }
        }
        Run(vendor, vendorMask, amd ? DisplayOffAmd : DisplayOff);
        Run(Microsoft, ms, DisplayOff);
        if (current)
        {
            if (amd)
            {
                Run(vendor, vendorMask, EntryAmd);
            }
            Run(Microsoft, ms, SleepEntry);
            Run(Microsoft, ms, Entry);
            if (!amd)
            {
                Run(vendor, vendorMask, Entry);
            }
        }
        else
        {
            Run(vendor, vendorMask, amd ? EntryAmd : Entry);
            Run(Microsoft, ms, Entry);
            Run(Microsoft, ms, SleepEntry);
        }
        return calls;
    }

    public static List<(Guid Uuid, int Function)> ExitCalls(bool amd, bool current, IReadOnlyDictionary<Guid, int> masks)
    {
        (Guid vendor, int vendorMask, int ms) = Masks(amd, current, masks);
        var calls = new List<(Guid, int)>();
        void Run(Guid uuid, int mask, int function)
        {
            if (mask > 0 && (mask & (1 << function)) != 0)
            {
                calls.Add((uuid, function));
            }
        }
        if (current)
        {
            Run(vendor, vendorMask, amd ? ExitAmd : Exit);
            Run(Microsoft, ms, Exit);
            Run(Microsoft, ms, TurnOnDisplay);
            Run(Microsoft, ms, SleepExit);
        }
        else
        {
            Run(Microsoft, ms, SleepExit);
            Run(vendor, vendorMask, amd ? ExitAmd : Exit);
            Run(Microsoft, ms, Exit);
        }
        Run(Microsoft, ms, DisplayOn);
        Run(vendor, vendorMask, amd ? DisplayOnAmd : DisplayOn);
        return calls;
    }

    private static (Guid Vendor, int VendorMask, int MicrosoftMask) Masks(bool amd, bool current, IReadOnlyDictionary<Guid, int> masks)
    {
        Guid vendor = amd ? Amd : Intel;
        int ms = Validated(amd, current).Contains(Microsoft) ? masks.GetValueOrDefault(Microsoft, -1) : -1;
        return (vendor, masks.GetValueOrDefault(vendor, -1), ms);
    }
}
