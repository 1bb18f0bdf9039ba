using System.Diagnostics;
using System.Text;
using Vireo.Lab;
using Vireo.LabTool;
using Xunit.Abstractions;

namespace Vireo.Lab.Tests;

/// <summary>`vireo-lab run` as a newcomer sees it, the module-less test guest, and what the
/// shipped vireo binary leaves out — in the one shared L1 boot.</summary>
[Collection(LabCollection.Name)]
public sealed class LabRunTests(L1Fixture lab, ITestOutputHelper output)
{
    [LabFact("qemu-system-x86_64", "busybox", "cpio")]
    public async Task Lab_run_streams_the_console_live_one_line_per_line_with_typed_commands_unwrapped()
    {
        Assert.True(lab.VireoPublishFailure is null, lab.VireoPublishFailure);
        // Longer than ash's default 80 columns, so the old console wrapped it mid-word.
        string word = new('w', 120);
        LabRunArguments options = LabRunArguments.Parse(
            ["--memory", "256M", "--input", $"echo typed-{word}-end | wc -c; sleep 2; poweroff -f\\n", "--timeout", "300"]);
        var relay = new TimedWriter();

        int status = await LabRunCommand.RunInL1Async(lab.Machine, options, L1Fixture.VireoInL1, L1Fixture.L2Kernel, L1Fixture.L2Initramfs, relay);
        TimeSpan done = relay.Clock.Elapsed;

        string text = relay.Text;
        output.WriteLine(text);
        Assert.Equal(0, status);
        Assert.Contains("vireo: guest powered off", text, StringComparison.Ordinal);
        // The shell echoed the whole command on one line, and ran it.
        Assert.Contains($"echo typed-{word}-end | wc -c; sleep 2; poweroff -f", text, StringComparison.Ordinal);
        Assert.Contains("\n131\n", text.Replace("\r", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain(ConsoleRelay.CursorPositionQuery, text, StringComparison.Ordinal);
        Assert.DoesNotContain("input overrun", text, StringComparison.Ordinal);
        // Not every line followed by an empty one (the "\r\r\n" of L1's tty).
        string[] lines = text.Split('\n');
        int empty = lines.Count(l => l.TrimEnd('\r').Length == 0);
        Assert.True(empty * 4 < lines.Length, $"{empty} of {lines.Length} lines are empty");
        // Live: the guest's ready line was shown long before the run ended (the guest sleeps 2 s
        // after its ready line; the stop CI's run once took only 0.9 s from ready to power-off).
        TimeSpan ready = relay.FirstLineContaining(GuestMarkers.Ready);
        Assert.True(done - ready > TimeSpan.FromSeconds(1), $"ready line at {ready}, run ended at {done}");
    }

    [LabFact("qemu-system-x86_64", "busybox", "cpio")]
    public async Task The_no_modules_guest_boots_to_its_shell_with_no_module_loaded()
    {
        Assert.True(lab.VireoPublishFailure is null, lab.VireoPublishFailure);
        string command = L2Command.Build(
            [L1Fixture.VireoInL1, "run", "--kernel", L1Fixture.L2Kernel, "--initramfs", L1Fixture.L2NoModulesInitramfs, "--memory", "256M", "--footprint"],
            "echo loaded=$(wc -l < /proc/modules) acpid=$(pidof acpid | wc -w); poweroff -f\n");

        LabCommandResult result = await lab.Machine.RunAsync(command, TimeSpan.FromMinutes(4));

        output.WriteLine(result.Output);
        Assert.Contains($"{GuestMarkers.Ready} cpus=1", result.Output, StringComparison.Ordinal);
        Assert.Contains("modules=0", result.Output, StringComparison.Ordinal);
        Assert.Contains("loaded=0 acpid=0", result.Output, StringComparison.Ordinal);
        LabAssert.PoweredOffConfined(result.Output);
        Assert.Equal(0, result.ExitStatus);
        // --footprint: Vireo's own cost, net of the guest RAM the stock kernel touched.
        var footprint = System.Text.RegularExpressions.Regex.Match(result.Output,
            @"vireo: footprint at the first guest instruction: CPU ([0-9.]+) ms, own RSS ([0-9.]+) MiB \(RSS [0-9.]+ MiB, guest RAM ([0-9.]+) MiB");
        Assert.True(footprint.Success, "no footprint line");
        double guestMib = double.Parse(footprint.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture);
        double ownMib = double.Parse(footprint.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(guestMib >= 1, $"the kernel and initramfs were loaded, yet guest RAM resident is {guestMib} MiB");
        Assert.InRange(ownMib, 1, 256);
        Assert.Contains("vireo: footprint at the end: CPU", result.Output, StringComparison.Ordinal);
    }

    [GenericKernelFact]
    public async Task The_generic_kernel_boots_the_no_modules_guest_on_two_cpus_with_s2idle()
    {
        Assert.True(lab.VireoPublishFailure is null, lab.VireoPublishFailure);
        string command = L2Command.Build(
            [L1Fixture.VireoInL1, "run", "--kernel", L1Fixture.L2GenericKernel, "--initramfs", L1Fixture.L2NoModulesInitramfs, "--memory", "512M", "--cpus", "2"],
            "echo flavour=$(uname -r) loaded=$(wc -l < /proc/modules) sleep=$(cat /sys/power/mem_sleep); poweroff -f\n");

        LabCommandResult result = await lab.Machine.RunAsync(command, TimeSpan.FromMinutes(5));

        output.WriteLine(result.Output);
        Assert.Matches(@"flavour=6\.\d+\.\d+-\d+-amd64 loaded=0 sleep=.*s2idle", result.Output);
        LabAssert.PoweredOffConfined(result.Output);
        Assert.Equal(0, result.ExitStatus);
    }

    [LabFact("qemu-system-x86_64", "busybox", "cpio")]
    public void The_published_vireo_contains_no_lab_code()
    {
        Assert.True(lab.VireoPublishFailure is null, lab.VireoPublishFailure);
        string binary = Path.Combine(lab.PublishDirectory, "vireo");
        byte[] bytes = File.ReadAllBytes(binary);

        // NativeAOT keeps assembly and namespace names for stack traces and reflection: a
        // linked Vireo.Lab shows, as the VMM's own assemblies do.
        Assert.True(Contains(bytes, "Vireo.Vmm"), "the check itself is broken: no 'Vireo.Vmm' in the binary");
        Assert.False(Contains(bytes, "Vireo.Lab"), $"{binary} contains 'Vireo.Lab': the lab is linked into vireo");
        Assert.DoesNotContain(Directory.EnumerateFiles(lab.PublishDirectory), f => Path.GetFileName(f).StartsWith("Vireo.Lab", StringComparison.Ordinal));
    }

    private static bool Contains(byte[] haystack, string needle) =>
        haystack.AsSpan().IndexOf(Encoding.ASCII.GetBytes(needle)) >= 0;

    private sealed class TimedWriter : TextWriter
    {
        private readonly StringBuilder _text = new();
        private readonly List<(string Line, TimeSpan At)> _lines = [];

        public Stopwatch Clock { get; } = Stopwatch.StartNew();

        public override Encoding Encoding => Encoding.UTF8;

        public string Text
        {
            get
            {
                lock (_text)
                {
                    return _text.ToString();
                }
            }
        }

        public override void WriteLine(string? value)
        {
            lock (_text)
            {
                _text.Append(value).Append('\n');
                _lines.Add((value ?? "", Clock.Elapsed));
            }
        }

        public override void Write(char value)
        {
            lock (_text)
            {
                _text.Append(value);
            }
        }

        public TimeSpan FirstLineContaining(string part)
        {
            lock (_text)
            {
                foreach ((string line, TimeSpan at) in _lines)
                {
                    if (line.Contains(part, StringComparison.Ordinal))
                    {
                        return at;
                    }
                }
            }
            Assert.Fail($"no line contains '{part}'");
            return TimeSpan.Zero;
        }
    }
}
