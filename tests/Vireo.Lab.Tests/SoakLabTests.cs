using System.Globalization;
using System.Text.RegularExpressions;
using Vireo.Lab;
using Xunit.Abstractions;

namespace Vireo.Lab.Tests;

/// <summary>
/// Soak: one `vireo run --on-reboot restart` whose guest reboots as soon as it is up, so every
/// cycle tears a machine down and builds the next (memory, vCPUs, irqchip, eventfds, devices).
/// Vireo's descriptors, threads and own resident memory (guest RAM's mapping left out) are sampled in L1 two seconds into every
/// boot; none may grow. CI runs a few cycles; `VIREO_SOAK_BOOTS=100 dotnet test
/// tests/Vireo.Lab.Tests -c Release --filter FullyQualifiedName~SoakLabTests --logger
/// "console;verbosity=detailed"` is the long campaign, its figures in the test log.
/// </summary>
[Collection(LabCollection.Name)]
public sealed partial class SoakLabTests(L1Fixture lab, ITestOutputHelper output)
{
    private static int Boots => int.TryParse(Environment.GetEnvironmentVariable("VIREO_SOAK_BOOTS"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n >= 3 ? n : 6;

    [LabFact("qemu-system-x86_64", "busybox", "cpio")]
    public async Task Reboot_cycles_leave_no_descriptor_thread_or_memory_growth()
    {
        Assert.True(lab.VireoPublishFailure is null, lab.VireoPublishFailure);
        int boots = Boots;
        string run = string.Join(' ', new[]
        {
            L1Fixture.VireoInL1, "run", "--kernel", L1Fixture.L2Kernel, "--initramfs", L1Fixture.L2Initramfs, "--memory", "256M",
            "--on-reboot", "restart", "--append", DefaultGuest.ScriptArgument("reboot -f"),
        }.Select(L2Command.Quote));
        // A sample two seconds after each restart line: the new machine is built and its guest
        // is booting. Every wait is bounded inside the command's timeout, so a hang reports the
        // console instead of taking L1 down.
        string command = string.Join("\n",
            $"{run} </dev/null >/tmp/soak 2>&1 & pid=$!",
            "n=0; end=$(( $(date +%s) + " + (boots * 40 + 60).ToString(CultureInfo.InvariantCulture) + " ))",
            $"while [ $n -lt {boots} ] && kill -0 $pid 2>/dev/null && [ $(date +%s) -lt $end ]; do",
            "  c=$(grep -c 'starting it again' /tmp/soak)",
            "  if [ $c -gt $n ]; then n=$c; sleep 2; echo \"soak: boot=$n fds=$(ls /proc/$pid/fd | wc -l) threads=$(ls /proc/$pid/task | wc -l) rss_kib=$(awk '/^Size:/ { size = $2 } /^Rss:/ && (size < 262144 || size > 266240) { own += $2 } END { print own }' /proc/$pid/smaps) ram_maps=$(awk '/^Size:/ && $2 >= 262144 && $2 <= 266240 { n++ } END { print n + 0 }' /proc/$pid/smaps)\"; fi",
            "  sleep 0.2",
            "done",
            "kill -TERM $pid 2>/dev/null; sleep 0.5; kill -TERM $pid 2>/dev/null; wait $pid",
            "grep -c 'starting it again' /tmp/soak | sed 's/^/soak: restarts=/'",
            "grep -v '^\\[' /tmp/soak | grep -i 'vireo:' | sort | uniq -c | sort -rn | head -20");

        LabCommandResult result = await lab.Machine.RunAsync(command, TimeSpan.FromSeconds(boots * 40 + 120));
        output.WriteLine(result.Output);

        var samples = SampleLine().Matches(result.Output)
            .Select(m => (Boot: Int(m, 1), Fds: Int(m, 2), Threads: Int(m, 3), RssKib: Int(m, 4), RamMaps: Int(m, 5)))
            .ToList();
        Assert.True(samples.Count >= boots, $"{samples.Count} of {boots} boots sampled");
        // The first boot after a restart is the baseline: the first machine's build warms the
        // runtime (code pages, GC heap) once.
        var steady = samples.Skip(1).ToList();
        // Every boot's machine is gone before the next: one guest RAM mapping, and no more
        // descriptors than at the second boot (the first sample is before the runtime settles).
        Assert.All(samples, s => Assert.Equal(1, s.RamMaps));
        Assert.All(steady, s => Assert.True(s.Fds <= steady[0].Fds, $"{s.Fds} descriptors at boot {s.Boot}, {steady[0].Fds} at boot {steady[0].Boot}"));
        // Thread-pool workers come and retire on their own clock, so threads may move by a few;
        // one leaked per boot would not stay inside this.
        Assert.True(steady.Max(s => s.Threads) - steady.Min(s => s.Threads) <= 3, $"threads ranged over {string.Join(' ', steady.Select(s => s.Threads))}");
        int growth = steady[^1].RssKib - steady[0].RssKib;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"soak figures: {samples.Count} restarts; fds {steady.Min(s => s.Fds)}-{steady.Max(s => s.Fds)}, threads {steady.Min(s => s.Threads)}-{steady.Max(s => s.Threads)}; own RSS {steady[0].RssKib} KiB at the second restart, {steady[^1].RssKib} KiB at the last ({growth:+#;-#;0} KiB), min {steady.Min(s => s.RssKib)}, max {steady.Max(s => s.RssKib)}"));
        // Vireo's own RSS: every mapping but guest RAM (the one 256-260 MiB mapping). The GC
        // heap moves by a few MiB between samples; a leak per boot would climb past this.
        Assert.True(growth < 8 * 1024, $"own RSS grew by {growth} KiB over {steady.Count} boots");
    }

    private static int Cycles => int.TryParse(Environment.GetEnvironmentVariable("VIREO_SOAK_CYCLES"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n >= 4 ? n : 12;

    /// <summary>Suspend-to-idle soak: one guest suspends again and again and `--s2idle-wake-after`
    /// wakes it each time, so every cycle parks and unparks the vCPUs, sleeps and wakes the
    /// devices and arms and fires a timer. Sampled after every few resumes; none may grow.
    /// `VIREO_SOAK_CYCLES=100` is the long campaign.</summary>
    [LabFact("qemu-system-x86_64", "busybox", "cpio")]
    public async Task Suspend_resume_cycles_leave_no_descriptor_thread_or_memory_growth()
    {
        Assert.True(lab.VireoPublishFailure is null, lab.VireoPublishFailure);
        int cycles = Cycles;
        int every = cycles >= 50 ? 10 : 2;
        string script = $$"""
            i=1
            while [ $i -le {{cycles}} ]; do
                echo freeze > /sys/power/state; sleep 0.2
                i=$((i+1))
            done
            poweroff -f
            """;
        string run = string.Join(' ', new[]
        {
            L1Fixture.VireoInL1, "run", "--kernel", L1Fixture.L2Kernel, "--initramfs", L1Fixture.L2Initramfs, "--memory", "256M",
            "--s2idle-wake-after", "500ms", "--append", "quiet " + DefaultGuest.ScriptArgument(script),
        }.Select(L2Command.Quote));
        string body = string.Join("\n",
            "i=1",
            $"while [ $i -le {cycles} ]; do",
            "  waitcount 'vireo: s2idle: resumed' $i",
            $"  if [ $((i % {every})) = 0 ] || [ $i = 1 ]; then echo \"soak: cycle=$i fds=$(ls /proc/$pid/fd | wc -l) threads=$(ls /proc/$pid/task | wc -l) rss_kib=$(awk '/^Size:/ {{ size = $2 }} /^Rss:/ && (size < 262144 || size > 266240) {{ own += $2 }} END {{ print own }}' /proc/$pid/smaps)\"; fi",
            "  i=$((i+1))",
            "done");
        string command = $"{S2IdleLabTests.ShellHelpers}\n{run} 0<>/tmp/s2in >/tmp/s2out 2>&1 & pid=$!\n{body}\n" +
            "end=$(deadline 120); while kill -0 $pid 2>/dev/null; do [ $(date +%s) -gt $end ] && fail 'vireo did not end within 120 s'; sleep 0.1; done\n" +
            "wait $pid; s=$?; grep -c 'vireo: s2idle: resumed' /tmp/s2out | sed 's/^/soak: resumed=/'; grep -v '^\\[' /tmp/s2out | grep -i 'vireo:' | grep -v 's2idle: \\(suspended\\|resumed\\|wake\\)' | sort | uniq -c | sort -rn | head -20; exit $s";

        LabCommandResult result = await lab.Machine.RunAsync(command, TimeSpan.FromSeconds(cycles * 6 + 180));
        output.WriteLine(result.Output);

        Assert.Equal(0, result.ExitStatus);
        var samples = CycleLine().Matches(result.Output)
            .Select(m => (Cycle: Int(m, 1), Fds: Int(m, 2), Threads: Int(m, 3), RssKib: Int(m, 4)))
            .ToList();
        Assert.True(samples.Count >= (cycles / every) + 1, $"{samples.Count} samples over {cycles} cycles");
        // After the first cycle (its wake timer and park gate are made once) nothing may grow.
        var steady = samples.Skip(1).ToList();
        Assert.All(steady, s => Assert.True(s.Fds <= steady[0].Fds, $"{s.Fds} descriptors at cycle {s.Cycle}, {steady[0].Fds} at cycle {steady[0].Cycle}"));
        Assert.True(steady.Max(s => s.Threads) - steady.Min(s => s.Threads) <= 3, $"threads ranged over {string.Join(' ', steady.Select(s => s.Threads))}");
        int growth = steady[^1].RssKib - steady[0].RssKib;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"s2idle soak figures: {cycles} cycles; fds {steady.Min(s => s.Fds)}-{steady.Max(s => s.Fds)}, threads {steady.Min(s => s.Threads)}-{steady.Max(s => s.Threads)}; own RSS {steady[0].RssKib} KiB at cycle {steady[0].Cycle}, {steady[^1].RssKib} KiB at cycle {steady[^1].Cycle} ({growth:+#;-#;0} KiB), min {steady.Min(s => s.RssKib)}, max {steady.Max(s => s.RssKib)}"));
        Assert.True(growth < 8 * 1024, $"own RSS grew by {growth} KiB over {cycles} cycles");
    }

    private static int Int(Match m, int group) => int.Parse(m.Groups[group].Value, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"soak: cycle=(\d+) fds=(\d+) threads=(\d+) rss_kib=(\d+)")]
    private static partial Regex CycleLine();

    [GeneratedRegex(@"soak: boot=(\d+) fds=(\d+) threads=(\d+) rss_kib=(\d+) ram_maps=(\d+)")]
    private static partial Regex SampleLine();
}
