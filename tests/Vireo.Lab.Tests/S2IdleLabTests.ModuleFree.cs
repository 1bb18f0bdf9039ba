using System.Text.RegularExpressions;
using Vireo.Lab;

namespace Vireo.Lab.Tests;

/// <summary>
/// Suspend-to-idle with a guest whose initramfs loads no modules (<see cref="ModuleFreeGuest"/>):
/// Debian's button.ko is absent, so the guest's ACPI core alone has to take Vireo's wake as a
/// wakeup. Each wake source, with one and two vCPUs, and the aborted-suspend path.
/// </summary>
public sealed partial class S2IdleLabTests
{
    // Before suspending: no module loaded, and the fixed events the guest's ACPI core enabled on
    // its own (the wake is GBL_STS; the power button has no handler without button.ko). One short
    // line each, and a pause before the suspend, whose kernel lines would otherwise land inside them.
    private const string ModuleFreeProbe = """
        echo "probe modules=$(wc -l < /proc/modules)"
        echo "probe gbl=[$(cat /sys/firmware/acpi/interrupts/ff_gbl_lock)]"
        echo "probe pwr=[$(cat /sys/firmware/acpi/interrupts/ff_pwr_btn)]"
        echo "probe sci-before=$(cat /sys/firmware/acpi/interrupts/sci)"
        sleep 1
        """;

    private const string SciAfter = """
        echo "probe sci-after=$(cat /sys/firmware/acpi/interrupts/sci)"
        """;

    [LabTheory("qemu-system-x86_64", "busybox", "cpio")]
    [InlineData(1)]
    [InlineData(2)]
    public async Task A_module_free_guest_wakes_from_the_timer(int cpus)
    {
        string script = $"""
            {ModuleFreeProbe}
            echo freeze > /sys/power/state; s=$?; sleep 0.3; [ $s = 0 ] && echo "{Resumed} status=ok" || echo "{Resumed} status=failed"
            {SciAfter}
            poweroff -f
            """;

        LabCommandResult result = await Run(["--cpus", $"{cpus}", "--s2idle-wake-after", "2s"], script, $"waitfor '{Resumed}'",
            initramfs: ModuleFreeGuest.InitramfsInL1);

        string text = result.Output;
        Assert.Equal(0, result.ExitStatus);
        AssertModuleFreeWithGlobalEventEnabled(text, cpus);
        AssertInOrder(text, "vireo: s2idle: suspended (cycle 1)", "vireo: s2idle: s2idle-exit (cycle 1, timer)",
            "vireo: s2idle: resumed (cycle 1)", "PM: suspend exit", $"{Resumed} stat");
        AssertTheSciHandlerNeverSawTheWake(text);
        Assert.Contains("vireo: guest powered off", text, StringComparison.Ordinal);
    }

    [LabTheory("qemu-system-x86_64", "busybox", "cpio")]
    [InlineData(1)]
    [InlineData(2)]
    public async Task A_module_free_guest_wakes_from_the_api_and_then_from_a_console_key(int cpus)
    {
        string script = $$"""
            {{ModuleFreeProbe}}
            for i in 1 2; do
                echo freeze > /sys/power/state; s=$?; sleep 0.3; [ $s = 0 ] && echo "{{Resumed}} cycle=$i status=ok" || echo "{{Resumed}} cycle=$i status=failed"; sleep 0.3
            done
            {{SciAfter}}
            poweroff -f
            """;
        string body = $"""
            A=/tmp/s2api.sock
            n=0; while [ ! -S $A ]; do n=$((n+1)); [ $n -gt 600 ] && fail "no API socket"; sleep 0.05; done
            waitcount 'vireo: s2idle: suspended' 1
            {L1Fixture.VireoInL1} remote --api-socket $A wake || echo WAKE-FAILED
            waitcount '{Resumed} cycle=' 1
            waitcount 'vireo: s2idle: suspended' 2
            printf '\n' >&3
            waitcount '{Resumed} cycle=' 2
            """;

        LabCommandResult result = await Run(["--cpus", $"{cpus}", "--api-socket", "/tmp/s2api.sock"], script, body,
            initramfs: ModuleFreeGuest.InitramfsInL1);

        string text = result.Output;
        Assert.Equal(0, result.ExitStatus);
        AssertModuleFreeWithGlobalEventEnabled(text, cpus);
        Assert.DoesNotContain("WAKE-FAILED", text, StringComparison.Ordinal);
        AssertInOrder(text,
            "vireo: s2idle: suspended (cycle 1)", "vireo: s2idle: s2idle-exit (cycle 1, api)", "vireo: s2idle: resumed (cycle 1)", $"{Resumed} cycle=1 stat",
            "vireo: s2idle: suspended (cycle 2)", "vireo: s2idle: s2idle-exit (cycle 2, serial)", "vireo: s2idle: resumed (cycle 2)", $"{Resumed} cycle=2 stat");
        AssertTheSciHandlerNeverSawTheWake(text);
        Assert.Contains("vireo: guest powered off", text, StringComparison.Ordinal);
    }

    [LabTheory("qemu-system-x86_64", "busybox", "cpio")]
    [InlineData(1)]
    [InlineData(2)]
    public async Task A_module_free_guest_whose_suspend_is_cut_short_at_the_entry_trap_runs_on(int cpus)
    {
        string script = $$"""
            {{ModuleFreeProbe}}
            for i in 1 2; do
                echo freeze > /sys/power/state; s=$?; sleep 0.3; [ $s = 0 ] && echo "{{Resumed}} cycle=$i status=ok" || echo "{{Resumed}} cycle=$i status=failed"; sleep 0.3
            done
            {{SciAfter}}
            poweroff -f
            """;

        LabCommandResult result = await Run(["--cpus", $"{cpus}", "--s2idle-wake-after", "0"], script, $"waitcount '{Resumed} cycle=' 2",
            initramfs: ModuleFreeGuest.InitramfsInL1);

        string text = result.Output;
        Assert.Equal(0, result.ExitStatus);
        AssertModuleFreeWithGlobalEventEnabled(text, cpus);
        for (int cycle = 1; cycle <= 2; cycle++)
        {
            AssertInOrder(text, $"vireo: s2idle: s2idle-enter (cycle {cycle})", $"vireo: s2idle: s2idle-exit (cycle {cycle}, timer)",
                $"vireo: s2idle: resumed (cycle {cycle})", $"{Resumed} cycle={cycle} stat");
        }
        Assert.DoesNotContain("vireo: s2idle: suspended", text, StringComparison.Ordinal);
        Assert.DoesNotContain("s2idle-abort", text, StringComparison.Ordinal);
        Assert.Equal(2, Count(text, "PM: suspend exit"));
        AssertTheSciHandlerNeverSawTheWake(text);
        Assert.Contains("vireo: guest powered off", text, StringComparison.Ordinal);
    }

    private static void AssertModuleFreeWithGlobalEventEnabled(string text, int cpus)
    {
        Assert.Contains($"{GuestMarkers.Ready} cpus={cpus}", text, StringComparison.Ordinal);
        Assert.Matches(@"probe modules=0\s", text);
        // /sys/firmware/acpi/interrupts/<event> (drivers/acpi/sysfs.c counter_show): the count,
        // EN if the enable bit is set, STS if the status bit is, then whether a handler enabled it.
        Assert.Matches(@"gbl=\[\s*\d+\s+EN\s+enabled", text);
        Assert.Matches(@"pwr=\[\s*\d+\s+(invalid|disabled)", text);
        Assert.DoesNotContain("status=failed", text, StringComparison.Ordinal);
    }

    // Vireo clears GBL_STS at the exit trap, before the guest's SCI handler is running again.
    private static void AssertTheSciHandlerNeverSawTheWake(string text)
    {
        string before = Regex.Match(text, @"sci-before=\s*(\d+)").Groups[1].Value;
        string after = Regex.Match(text, @"sci-after=\s*(\d+)").Groups[1].Value;
        Assert.NotEqual("", before);
        Assert.Equal(before, after);
    }
}
