using System.Globalization;
using System.Text.RegularExpressions;
using Vireo.Lab;
using Xunit.Abstractions;

namespace Vireo.Lab.Tests;

/// <summary>The ACPI platform and the management API with the stock kernel in the lab: one
/// `vireo run --api-socket` on 4 vCPUs, driven by `vireo remote` from L1 while the test types
/// into the guest's console.</summary>
[Collection(LabCollection.Name)]
public sealed partial class L2AcpiApiTests(L1Fixture lab, ITestOutputHelper output)
{
    [LabFact("qemu-system-x86_64", "busybox", "cpio")]
    public async Task Gpes_from_the_api_reach_the_guest_and_the_sci_counts_exactly_them_then_the_api_power_button_shuts_it_down()
    {
        Assert.True(lab.VireoPublishFailure is null, lab.VireoPublishFailure);
        const string Vireo = L1Fixture.VireoInL1;
        string command = string.Join("\n",
            "A=/tmp/api.sock; rm -f /tmp/in /tmp/out $A; mkfifo /tmp/in; : >/tmp/out",
            $"{Vireo} acpi dump --out /tmp/acpi --cpus 4 >/dev/null",
            $"{Vireo} run --kernel {L1Fixture.L2Kernel} --initramfs {L1Fixture.L2Initramfs} --memory 256M --cpus 4 --api-socket $A 0<>/tmp/in >/tmp/out 2>&1 & pid=$!",
            "w() { for i in $(seq 1 900); do grep -qE \"$1\" /tmp/out && return 0; sleep 0.1; done; echo \"timed out waiting for $1\"; return 1; }",
            "w '# '",
            $"echo INFO=$({Vireo} remote --api-socket $A info | tr -d ' \\n')",
            "echo 'echo DSDT=$(md5sum < /sys/firmware/acpi/tables/DSDT) S1=$(cat /sys/firmware/acpi/interrupts/sci)' >/tmp/in",
            "w 'S1= *[0-9]'",
            $"for i in 1 2 3; do {Vireo} remote --api-socket $A gpe 3 || echo GPE-FAILED; done",
            $"{Vireo} remote --api-socket $A gpe 64 2>&1 | sed 's/^/BADGPE: /'",
            "sleep 1",
            "echo 'echo G=$(cat /sys/firmware/acpi/interrupts/gpe03) S2=$(cat /sys/firmware/acpi/interrupts/sci) CPUS=$(cat /sys/devices/system/cpu/online)' >/tmp/in",
            "w 'S2= *[0-9]'",
            "echo HOSTDSDT=$(md5sum < /tmp/acpi/DSDT.dat)",
            $"{Vireo} remote --api-socket $A power-button",
            "for i in $(seq 1 150); do kill -0 $pid 2>/dev/null || break; sleep 0.2; done",
            "kill -TERM $pid 2>/dev/null; kill -TERM $pid 2>/dev/null; wait $pid; s=$?; cat /tmp/out; exit $s");

        LabCommandResult result = await lab.Machine.RunAsync(command, TimeSpan.FromMinutes(5));
        string text = result.Output;
        output.WriteLine(text);

        Assert.Contains("\"state\":\"running\"", text, StringComparison.Ordinal);
        Assert.Contains("\"vcpus\":4", text, StringComparison.Ordinal);
        // The guest's DSDT is byte for byte what `vireo acpi dump` wrote.
        string guestDsdt = Capture(text, @"DSDT=([0-9a-f]{32})");
        Assert.Equal(Capture(text, @"HOSTDSDT=([0-9a-f]{32})"), guestDsdt);
        Assert.Contains("CPUS=0-3", text, StringComparison.Ordinal);
        Assert.Contains("ACPI: RSDP", text, StringComparison.Ordinal);
        Assert.Contains("ACPI: DSDT", text, StringComparison.Ordinal);
        Assert.DoesNotContain("GPE-FAILED", text, StringComparison.Ordinal);
        Assert.Matches(@"BADGPE: .*(400|0 to 63)", text);
        // Three GPEs raised, three counted, and the SCI fired exactly three more times: no storm.
        Assert.Equal(3, int.Parse(Capture(text, @"G=\s*(\d+)"), CultureInfo.InvariantCulture));
        int before = int.Parse(Capture(text, @"S1=\s*(\d+)"), CultureInfo.InvariantCulture);
        int after = int.Parse(Capture(text, @"S2=\s*(\d+)"), CultureInfo.InvariantCulture);
        Assert.Equal(3, after - before);
        Assert.Contains("ACPI: PM: Preparing to enter system sleep state S5", text, StringComparison.Ordinal);
        Assert.Contains("vireo: guest powered off", text, StringComparison.Ordinal);
        Assert.Equal(0, result.ExitStatus);
    }

    private static string Capture(string text, string pattern)
    {
        Match match = Regex.Match(text, pattern);
        Assert.True(match.Success, $"no match for {pattern}");
        return match.Groups[1].Value;
    }
}
