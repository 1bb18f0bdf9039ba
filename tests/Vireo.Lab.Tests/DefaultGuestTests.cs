namespace Vireo.Lab.Tests;

/// <summary>What the default guests ask of their kernels, without building an image.</summary>
public sealed class DefaultGuestTests
{
    [Fact]
    public void The_arm64_default_guest_asks_for_the_power_keys_driver_and_evdev_after_the_pcs_modules()
    {
        IReadOnlyList<string> arm64 = DefaultGuest.Arm64ModulesFor(GuestVariant.Default);
        // The PC's list first, unchanged and in its order, then gpio_keys: evdev (already in the
        // PC's list) hands its KEY_POWER to acpid as it does the ACPI button's.
        Assert.Equal(DefaultGuest.Modules, arm64.Take(DefaultGuest.Modules.Length));
        Assert.Equal("gpio_keys", arm64[^1]);
        Assert.Contains("evdev", arm64);
        // The PC's guest does not ask for it: its cloud kernel need not build it.
        Assert.DoesNotContain("gpio_keys", DefaultGuest.ModulesFor(GuestVariant.Default));
    }

    [Fact]
    public void The_no_modules_guest_asks_for_none_on_either_machine_and_starts_no_acpid()
    {
        Assert.Empty(DefaultGuest.Arm64ModulesFor(GuestVariant.NoModules));
        Assert.Empty(DefaultGuest.ModulesFor(GuestVariant.NoModules));
        Assert.DoesNotContain("acpid", DefaultGuest.InitScriptFor(GuestVariant.NoModules), StringComparison.Ordinal);
        // The default guest, on either machine, starts acpid once its modules are loaded.
        string init = DefaultGuest.InitScriptFor(GuestVariant.Default);
        Assert.True(init.IndexOf("insmod", StringComparison.Ordinal) < init.IndexOf("acpid -l", StringComparison.Ordinal));
    }
}
