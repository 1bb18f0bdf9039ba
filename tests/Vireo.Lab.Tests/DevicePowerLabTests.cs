using System.Globalization;
using System.Text.RegularExpressions;
using Vireo.Lab;
using Xunit.Abstractions;

namespace Vireo.Lab.Tests;

/// <summary>
/// Issue #14 with a stock guest (Debian's kernel as L2) and two `vireo-device` servers in L1:
/// the guest's own runtime PM puts a sample device in D3cold through the ACPI power resource
/// Vireo gives its slot, the device's wake comes back as its wake GPE (Notify 2) and the guest
/// resumes it, 20 times; notify codes the device sends arrive at the guest driver's ACPI notify
/// handler in order and only on that device's object; and a device wake while the guest is in
/// suspend-to-idle resumes the guest. What the guest sees comes from its sysfs and its driver,
/// what the device saw from the server's own counters.
/// </summary>
[Collection(LabCollection.Name)]
public sealed partial class DevicePowerLabTests(L1Fixture lab, ITestOutputHelper output)
{
    private const string ApiSocket = "/tmp/dp-api.sock";
    private const int Cycles = 20;
    private static readonly string Padding = string.Concat(Enumerable.Repeat("true;", 40)) + "true";
    private static readonly byte[] s_burst = [0x80, 0x81, 0x82, 0x90, 0xa0, 0xc0, 0xc1, 0xd0, 0xe0, 0xef, 0xf0, 0xfe, 0xff, 0x83, 0x84, 0x85];

    [LabFact("qemu-system-x86_64", "busybox", "cpio")]
    public async Task The_guests_runtime_pm_device_wakes_notify_codes_and_an_s2idle_wake_all_go_through_acpi()
    {
        Assert.True(lab.VireoPublishFailure is null, lab.VireoPublishFailure);
        Assert.True(lab.DevicePublishFailure is null, lab.DevicePublishFailure);
        Assert.True(lab.SampleDriverFailure is null, lab.SampleDriverFailure);
        var a = new SampleDeviceInL1("pa");
        var b = new SampleDeviceInL1("pb");
        // Markers are printed as $((40+2)) so the console's echo of the typed line never matches.
        // The guest's shell may drop what is typed before its first prompt settles (the lab saw
        // the first ~150 bytes go), so a few lines of no-ops go first; a cut one only complains.
        string input = $$"""
            {{Padding}}
            {{Padding}}
            {{Padding}}
            sleep 1
            insmod {{SampleDriver.GuestPath}}
            dmesg | grep -i 'vireo_sample' | tail -4
            set -- $(ls -d /sys/bus/pci/drivers/vireo_sample/0000:*); a=$1; b=$2
            echo "pair a=$a b=$b"
            [ -d "$a" ] && [ -d "$b" ] || { echo "NO-DEVICES-$((40+2))"; ls -l /sys/bus/pci/drivers/vireo_sample/ /sys/bus/pci/devices/; dmesg | tail -40; poweroff -f; }
            echo enabled > $a/power/wakeup
            # The device's wakeup source counts every wake event (power/wakeup_count only those during a system suspend).
            wev() { cat $a/wakeup/wakeup*/event_count; }
            e0=$(wev)
            lowwait() { n=0; while [ "$(cat $a/power/runtime_status)" != suspended ] && [ $n -lt 150 ]; do n=$((n+1)); sleep 0.2; done; }
            echo auto > $a/power/control; lowwait
            echo "low state=$(cat $a/power_state) rt=$(cat $a/power/runtime_status) LOW-READY-$((40+2))"
            n=0; while [ $(wev) -lt $((e0+{{Cycles}})) ] && [ $n -lt 900 ]; do n=$((n+1)); sleep 0.2; done
            lowwait
            echo "cycles wakeups=$(( $(wev) - e0 )) resumes=$(cat $a/runtime_resumes) state=$(cat $a/power_state) wake-gpe=$(cat /sys/firmware/acpi/interrupts/gpe11)"
            echo "access completions=$(cat $a/completions)"
            echo on > $a/power/control
            echo "on state=$(cat $a/power_state) rt=$(cat $a/power/runtime_status)"
            echo "NOTIFY-READY-$((40+2))"
            n=0; while { [ $(cat $a/acpi_notify_count) -lt {{2 + s_burst.Length + 1}} ] || [ $(cat $b/acpi_notify_count) -lt 1 ]; } && [ $n -lt 600 ]; do n=$((n+1)); sleep 0.1; done
            echo "loga $(cat $a/acpi_notify_log)"
            echo "logb $(cat $b/acpi_notify_log)"
            echo auto > $a/power/control; lowwait
            w0=$(wev)
            echo "FREEZE-READY-$((40+2))"
            echo freeze > /sys/power/state
            echo "resumed status=$? wakeups=$(( $(wev) - w0 )) RESUMED-$((40+2))"
            poweroff -f

            """;
        string device = SampleDeviceInL1.Program;
        string burst = string.Join(' ', s_burst.Select(c => $"0x{c:x2}"));
        string l1 = $$"""
            {{L1Fixture.VireoInL1}} remote --api-socket "$VIREO_API_SOCKET" events > /tmp/dp-events & ev=$!
            waitout() { n=0; until grep -q "$1" /tmp/out; do n=$((n+1)); [ $n -ge ${2:-3000} ] && { echo "no $1 on the console"; return 1; }; sleep 0.1; done; }
            lowarmed() { n=0; until {{device}} control {{a.ControlPath}} status | grep -q '"low_power":true,"wake_armed":true'; do n=$((n+1)); [ $n -ge 300 ] && { echo "pa never low with a wake armed"; return 1; }; sleep 0.1; done; }
            waitout LOW-READY-42
            vp=$(for p in /proc/[0-9]*; do tr '\0' ' ' <$p/cmdline 2>/dev/null | grep -q '^{{L1Fixture.VireoInL1}} run ' && echo ${p#/proc/}; done | head -1)
            use() { echo "fds=$(ls /proc/$vp/fd | wc -l) threads=$(ls /proc/$vp/task | wc -l) rss=$(awk '/VmRSS/ {print $2}' /proc/$vp/status)"; }
            u0=$(use)
            # Low with a wake armed, from the VMM's events (a grep, not a control call 10 times a
            # second: under TCG each start of a 7 MB program is L1 time the guest does not get).
            lows() { grep -c '"device-low-power".*"id":"pa".*"wake":"armed"' /tmp/dp-events; }
            lowafter() { n=0; until [ "$(lows)" -gt "$1" ]; do n=$((n+1)); [ $n -ge 300 ] && { echo "pa never low with a wake armed after $1 entries"; return 1; }; sleep 0.1; done; }
            i=0; while [ $i -lt {{Cycles}} ] && lowafter $i; do {{device}} control {{a.ControlPath}} wake >/dev/null; i=$((i+1)); done
            echo "woke $i times"
            echo "use before $u0 after $(use)"
            waitout NOTIFY-READY-42
            {{device}} control {{a.ControlPath}} notify 0x80
            {{device}} control {{a.ControlPath}} notify 0x81
            {{device}} control {{a.ControlPath}} notify {{burst}}
            {{device}} control {{a.ControlPath}} notify 0x02
            {{device}} control {{b.ControlPath}} notify 0x90
            waitout FREEZE-READY-42
            # vm.info while the VM is there (the guest powers off right after it resumes).
            echo "devices-json $({{L1Fixture.VireoInL1}} remote --api-socket "$VIREO_API_SOCKET" devices --json | tr -d '\n')"
            n=0; until grep -q '"suspended"' /tmp/dp-events || [ $n -ge 600 ]; do n=$((n+1)); sleep 0.1; done
            lowarmed && {{device}} control {{a.ControlPath}} wake
            # Never leave the guest asleep: the host's own wake if the device's did not bring it back.
            waitout RESUMED-42 600 || {{L1Fixture.VireoInL1}} remote --api-socket "$VIREO_API_SOCKET" wake
            echo "status-a $({{device}} control {{a.ControlPath}} status)"
            sleep 1; kill $ev
            sed 's/^/event: /' /tmp/dp-events
            """;
        string[] run =
        [
            L1Fixture.VireoInL1, "run", "--kernel", L1Fixture.L2Kernel, "--initramfs", L1Fixture.L2Initramfs, "--memory", "256M",
            "--api-socket", ApiSocket, "--vfio-user", a.VireoRunOption, "--vfio-user", b.VireoRunOption,
        ];
        string script = L1RunScript.Build(run, input, [a, b], l1, ApiSocket);

        // Minutes of L1 time with thousands of nested exits: the lab's emulator wedge hits it more
        // than most; LabTestCase runs it again when it does.
        LabCommandResult result = await lab.Machine.RunAsync(script, TimeSpan.FromMinutes(12));
        output.WriteLine($"status {result.ExitStatus} in {result.Elapsed.TotalSeconds:0.0} s\n{result.Output}");
        string text = result.Output.Replace("\r", "", StringComparison.Ordinal);

        Assert.Equal(0, result.ExitStatus);
        // 1. The guest's runtime PM took the device to D3cold through its power resource.
        Assert.Matches(@"low state=D3cold rt=suspended LOW-READY-42", text);
        Assert.Matches(@"\[l1\] .*""device-low-power"".*""cause"":""guest"".*""wake"":""armed""", text);
        //    Each device wake reached the guest (its wake GPE, Notify 2: a PCI wake event) and the
        //    guest resumed the device (its driver's resume ran) and let it suspend again.
        Assert.Contains($"[l1] woke {Cycles} times", text, StringComparison.Ordinal);
        //    No leak over the cycles (a leak grows by one or two per cycle): the VMM's descriptors and threads stay (its events thread
        //    serves every entry), its memory within a few MiB (the GC's own slack).
        Match use = Regex.Match(text, @"use before fds=(\d+) threads=(\d+) rss=(\d+) after fds=(\d+) threads=(\d+) rss=(\d+)");
        Assert.True(use.Success, "no use line (the vireo run process was not found in L1's /proc)");
        int[] u = [.. Enumerable.Range(1, 6).Select(g => int.Parse(use.Groups[g].Value, CultureInfo.InvariantCulture))];
        Assert.True(u[3] <= u[0] + 2, $"descriptors grew over {Cycles} cycles: {use.Value}");
        Assert.True(u[4] <= u[1] + 2, $"threads grew over {Cycles} cycles: {use.Value}");
        Assert.True(u[5] <= u[2] + 16 * 1024, $"RSS grew over 16 MiB over {Cycles} cycles: {use.Value}");
        Match cycles = Regex.Match(text, @"cycles wakeups=(\d+) resumes=(\d+) state=(\S+) wake-gpe=\s*(\d+)");
        Assert.True(cycles.Success, "no cycles line");
        Assert.Equal(Cycles, int.Parse(cycles.Groups[1].Value, CultureInfo.InvariantCulture));
        Assert.True(int.Parse(cycles.Groups[2].Value, CultureInfo.InvariantCulture) >= Cycles, cycles.Value);
        Assert.Equal("D3cold", cycles.Groups[3].Value);
        // The guest's own count of the device's wake GPE (0x11: the first device's pair is 0x10, 0x11).
        Assert.Equal(Cycles, int.Parse(cycles.Groups[4].Value, CultureInfo.InvariantCulture));
        Assert.Matches(@"\[l1\] .*""device-wake"".*""cause"":""device"".*""gpe"":""raised""", text);
        Assert.Matches(@"\[l1\] .*""device-wake"".*""cause"":""guest""", text);
        //    A guest access while low wakes it first (the driver's runtime resume), and reads the device.
        Assert.Matches(@"access completions=\d+\n", text);
        Assert.DoesNotContain("completions=4294967295", text, StringComparison.Ordinal);
        Assert.Contains("on state=D0 rt=active", text, StringComparison.Ordinal);
        // 2. Notify codes in the device's order, on its own object only.
        // Each of the 20 wakes reached the driver's handler too, as the wake GPE's Notify (dev, 2).
        byte[] sent = [.. Enumerable.Repeat((byte)0x02, Cycles), 0x80, 0x81, .. s_burst, 0x02];
        string expectedA = string.Join(' ', sent.Select(c => $"0x{c:x2}"));
        Assert.Contains($"loga {expectedA}\n", text, StringComparison.Ordinal);
        Assert.Contains("logb 0x90\n", text, StringComparison.Ordinal);
        // 3. A device wake while the guest is in s2idle resumes the guest, then the device.
        Assert.Matches(@"\[l1\] .*""s2idle-exit"".*""source"":""device pa""", text);
        Match resumed = Regex.Match(text, @"resumed status=0 wakeups=(\d+) RESUMED-42");
        Assert.True(resumed.Success, "the guest did not come back from s2idle");
        Assert.True(int.Parse(resumed.Groups[1].Value, CultureInfo.InvariantCulture) >= 1, resumed.Value);
        // 4. The device saw every cycle: an entry with wakeup per suspend, a wake signalled per L1
        //    wake (and one per guest access that found it low).
        Match status = Regex.Match(text, @"status-a (\{.*\})");
        Assert.True(status.Success, "no device status");
        using var json = System.Text.Json.JsonDocument.Parse(status.Groups[1].Value);
        Assert.True(json.RootElement.GetProperty("wakes_signalled").GetInt32() >= Cycles + 1, status.Value);
        Assert.True(json.RootElement.GetProperty("low_power_entries_with_wakeup").GetInt32() >= Cycles + 2);
        // 5. Each event's trip through the guest, on the VMM's clock (vm.info, read before the
        //    freeze): every code the guest's notify method read, and every wake it answered with _ON.
        Match devices = Regex.Match(text, @"devices-json (\[.*\])");
        Assert.True(devices.Success, "no devices JSON");
        using (var doc = System.Text.Json.JsonDocument.Parse(devices.Groups[1].Value))
        {
            System.Text.Json.JsonElement pa = doc.RootElement.EnumerateArray().Single(d => d.GetProperty("id").GetString() == "pa");
            System.Text.Json.JsonElement notify = pa.GetProperty("notify_latency");
            System.Text.Json.JsonElement wake = pa.GetProperty("wake_latency");
            output.WriteLine($"guest trips (VMM clock): notify {notify}; wake {wake}");
            Assert.True(notify.GetProperty("count").GetInt64() >= 2 + s_burst.Length + 1, notify.ToString());
            Assert.True(wake.GetProperty("count").GetInt64() >= Cycles, wake.ToString());
            Assert.True(notify.GetProperty("median_us").GetDouble() > 0 && wake.GetProperty("median_us").GetDouble() > 0);
        }
        Assert.Contains("vireo: guest powered off", text, StringComparison.Ordinal);
    }

    /// <summary>Notify code 0x3 (Eject Request) from a device: the stock guest's acpiphp (built
    /// in) removes the PCI device and evaluates the _EJ0 of the slot's eject object (function 7
    /// of the slot, beside the device's own ACPI object, whose power methods Linux would ignore
    /// if it had _EJ0), Vireo detaches the function and closes its connection, and the other
    /// device keeps working.</summary>
    [LabFact("qemu-system-x86_64", "busybox", "cpio")]
    public async Task An_eject_request_from_a_device_makes_the_stock_guest_eject_it_and_vireo_release_it()
    {
        Assert.True(lab.VireoPublishFailure is null, lab.VireoPublishFailure);
        Assert.True(lab.DevicePublishFailure is null, lab.DevicePublishFailure);
        Assert.True(lab.SampleDriverFailure is null, lab.SampleDriverFailure);
        var a = new SampleDeviceInL1("ea");
        var b = new SampleDeviceInL1("eb");
        string input = $$"""
            {{Padding}}
            {{Padding}}
            {{Padding}}
            sleep 1
            insmod {{SampleDriver.GuestPath}}
            set -- $(ls -d /sys/bus/pci/drivers/vireo_sample/0000:*); a=$1; b=$2; sa=${a##*/}
            slot=$(for s in /sys/bus/pci/slots/*; do [ "$(cat $s/address).0" = "$sa" ] && echo ${s##*/}; done)
            echo "before slot=$slot power=$(cat /sys/bus/pci/slots/$slot/power) has-a=$([ -e /sys/bus/pci/devices/$sa ] && echo yes)"
            echo "EJECT-READY-$((40+2))"
            n=0; while [ -e /sys/bus/pci/devices/$sa ] && [ $n -lt 300 ]; do n=$((n+1)); sleep 0.2; done
            sleep 1
            echo "after gone=$([ -e /sys/bus/pci/devices/$sa ] && echo no || echo yes) power=$(cat /sys/bus/pci/slots/$slot/power 2>/dev/null)"
            echo 4 > $b/run_dma; sleep 1
            dmesg | grep 'vireo_sample.*dma ' | tail -1
            echo "EJECT-DONE-$((40+2))"
            poweroff -f

            """;
        string device = SampleDeviceInL1.Program;
        string l1 = $$"""
            {{L1Fixture.VireoInL1}} remote --api-socket "$VIREO_API_SOCKET" events > /tmp/ej-events & ev=$!
            waitout() { n=0; until grep -q "$1" /tmp/out; do n=$((n+1)); [ $n -ge ${2:-3000} ] && { echo "no $1 on the console"; return 1; }; sleep 0.1; done; }
            waitout EJECT-READY-42
            {{device}} control {{a.ControlPath}} notify 0x03
            n=0; until grep -q '"device-ejected"' /tmp/ej-events || [ $n -ge 600 ]; do n=$((n+1)); sleep 0.1; done
            echo "devices-json $({{L1Fixture.VireoInL1}} remote --api-socket "$VIREO_API_SOCKET" devices --json | tr -d '\n')"
            n=0; until {{device}} control {{a.ControlPath}} status | grep -q '"client_connected":false' || [ $n -ge 100 ]; do n=$((n+1)); sleep 0.1; done
            echo "status-a $({{device}} control {{a.ControlPath}} status)"
            waitout EJECT-DONE-42
            sleep 1; kill $ev
            sed 's/^/event: /' /tmp/ej-events
            """;
        string[] run =
        [
            L1Fixture.VireoInL1, "run", "--kernel", L1Fixture.L2Kernel, "--initramfs", L1Fixture.L2Initramfs, "--memory", "256M",
            "--api-socket", ApiSocket, "--vfio-user", a.VireoRunOption, "--vfio-user", b.VireoRunOption,
        ];
        string script = L1RunScript.Build(run, input, [a, b], l1, ApiSocket);

        LabCommandResult result = await lab.Machine.RunAsync(script, TimeSpan.FromMinutes(8));
        output.WriteLine($"status {result.ExitStatus} in {result.Elapsed.TotalSeconds:0.0} s\n{result.Output}");
        string text = result.Output.Replace("\r", "", StringComparison.Ordinal);

        Assert.Equal(0, result.ExitStatus);
        // acpiphp made the device's slot a hotplug slot (its _ADR and _EJ0), powered.
        Assert.Matches(@"before slot=\S+ power=1 has-a=yes", text);
        Assert.Matches(@"\[l1\] event: .*""device-notify"".*""id"":""ea"".*""code"":""0x03""", text);
        Assert.Matches(@"\[l1\] event: .*""device-ejected"".*""id"":""ea""", text);
        // The guest removed it and the slot is off.
        Assert.Contains("after gone=yes power=0", text, StringComparison.Ordinal);
        // Vireo no longer lists it and closed its connection; the other device stays and works.
        Match devices = Regex.Match(text, @"devices-json (\[.*\])");
        Assert.True(devices.Success, "no devices JSON");
        using (var doc = System.Text.Json.JsonDocument.Parse(devices.Groups[1].Value))
        {
            Assert.Equal(["eb"], doc.RootElement.EnumerateArray().Select(d => d.GetProperty("id").GetString()));
        }
        Assert.Matches(@"status-a \{.*""client_connected"":false", text);
        Assert.Matches(@"vireo_sample 0000:00:\S+: dma ok rounds=4 ", text);
        Assert.DoesNotContain("device-lost", text, StringComparison.Ordinal);
        Assert.Contains("vireo: guest powered off", text, StringComparison.Ordinal);
    }

    // The issue's benchmark on L1's kvm-amd, where every exit is emulated, so only its ratios
    // mean anything; the figures go to the test log (and docs/BENCHMARKS.md).
    [LabFact("qemu-system-x86_64", "busybox", "cpio")]
    public async Task Bench_device_events_runs_on_l1s_kvm_amd_and_reports_ratios_to_an_exit()
    {
        Assert.True(lab.VireoPublishFailure is null, lab.VireoPublishFailure);

        LabCommandResult result = await lab.Machine.RunAsync($"{L1Fixture.VireoInL1} bench device-events --count 200 --json", TimeSpan.FromMinutes(4));

        output.WriteLine(result.Output);
        Assert.Equal(0, result.ExitStatus);
        Match json = Regex.Match(result.Output, @"\{""backend"".*\}");
        Assert.True(json.Success, "no JSON line in the output");
        using var doc = System.Text.Json.JsonDocument.Parse(json.Value);
        System.Text.Json.JsonElement root = doc.RootElement;
        Assert.Equal("amd", root.GetProperty("backend").GetString());
        Assert.True(root.GetProperty("exitUs").GetDouble() > 0);
        foreach (string name in new[] { "notify", "wake" })
        {
            System.Text.Json.JsonElement e = root.GetProperty(name);
            Assert.Equal(200, e.GetProperty("count").GetInt32());
            Assert.True(e.GetProperty("ratio").GetDouble() > 0, $"{name} ratio {e.GetProperty("ratio")}");
        }
    }
}
