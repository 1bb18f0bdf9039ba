using System.Diagnostics;
using Vireo.Lab;
using Vireo.Loader;
using Vireo.Memory;
using Vireo.TestSupport;

namespace Vireo.Lab.Tests;

/// <summary>The SDEI conformance guest outside the lab: it builds into an Image Vireo's arm64
/// loader places where it was linked, its report parses, and the L1 driver script answers
/// each signal it asks for (run under busybox sh with a stand-in vireo).</summary>
public sealed class SdeiConformanceGuestTests
{
    [Aarch64GccFact]
    public void The_guest_builds_into_an_arm64_image_placed_at_its_link_address()
    {
        using var temp = new TempDirectory();
        string image = SdeiConformanceGuest.Build(new LabCache(temp.Path));

        Arm64Image parsed = Arm64Image.Load(image);
        Assert.Equal(Arm64ImageFormat.Image, parsed.Format);
        Assert.Equal(0UL, parsed.TextOffset);
        // image_size covers the bss and the stacks beyond the file's end.
        Assert.True(parsed.EffectiveSize > (ulong)new FileInfo(image).Length, $"image_size 0x{parsed.EffectiveSize:x}");
        Arm64BootLayout layout = parsed.Place(new GuestAddress(0x4000_0000), 64UL << 20, 4096, 0);
        // guest.ld links it at the start of RAM with the MMU off: it must run where it is put.
        Assert.Equal(0x4000_0000UL, layout.KernelAddress.Value);
        Assert.Equal(0x4000_0000UL, layout.Entry.Value);

        // Every check is a line of its own in the source, each run once.
        Assert.InRange(SdeiConformanceGuest.CheckCount, 150, 1000);
        // Built once per version of the sources: a second build is the cached file.
        Assert.Equal(image, SdeiConformanceGuest.Build(new LabCache(temp.Path)));
    }

    [Aarch64GccFact]
    public void The_snapshot_guest_builds_from_the_same_helpers_with_its_own_main()
    {
        using var temp = new TempDirectory();
        string image = SdeiConformanceGuest.BuildSnapshotGuest(new LabCache(temp.Path));

        Arm64Image parsed = Arm64Image.Load(image);
        Assert.Equal(0x4000_0000UL, parsed.Place(new GuestAddress(0x4000_0000), 64UL << 20, 4096, 0).Entry.Value);
        Assert.NotEqual(image, SdeiConformanceGuest.Build(new LabCache(temp.Path)));
        // Its own checks and start_secondary's two.
        Assert.InRange(SdeiConformanceGuest.SnapshotCheckCount, 20, 100);
        Assert.True(SdeiConformanceGuest.SnapshotCheckCount < SdeiConformanceGuest.CheckCount);
    }

    [Fact]
    public void The_report_reads_checks_requests_answers_and_the_summary()
    {
        SdeiConformanceReport report = SdeiConformanceReport.Parse(string.Join('\n',
            "vireo-status=0",
            "host-signal 0 0 status=0",
            "host-signal 200 shared status=1",
            "SDEI-GUEST start",
            "SDEI-CHECK ok VERSION is 1.1, vendor 0\r",
            "SDEI-CHECK FAIL STATUS: got 0x3 want 0x7",
            "SDEI-SIGNAL 0 0 !",
            "SDEI-SIGNAL 200 shar",
            "SDEI-FATAL exception vector 4 esr 0x96000021",
            "vm-event {\"event\":\"paused\"}",
            "SDEI-CONFORMANCE passed=1 failed=1 of 2"));

        Assert.Equal(["VERSION is 1.1, vendor 0"], report.Passed);
        Assert.Equal(["STATUS: got 0x3 want 0x7"], report.Failed);
        Assert.Equal(["exception vector 4 esr 0x96000021"], report.Fatal);
        // A line cut short is not a request.
        Assert.Equal(["0 0"], report.Requested);
        Assert.Equal([("0 0", 0), ("200 shared", 1)], report.Answered);
        Assert.Equal(["{\"event\":\"paused\"}"], report.VmEvents);
        Assert.Equal((1, 1, 2), report.Summary);
        Assert.Null(SdeiConformanceReport.Parse("SDEI-CONFORMANCE passed=x").Summary);
    }

    [LabFact("busybox")]
    public void The_l1_script_answers_every_whole_signal_line_in_order_and_reports_how_each_went()
    {
        using var temp = new TempDirectory();
        string calls = temp.Combine("calls");
        // A vireo whose `run` prints what the guest would, one request written in two halves,
        // and whose `remote` records its arguments and refuses event 200.
        string vireo = temp.Combine("vireo");
        File.WriteAllText(vireo, $$"""
            #!/bin/sh
            case "$1" in
            run)
              touch "$9"
              sleep 1
              echo "SDEI-GUEST start"
              echo "SDEI-SIGNAL 0 0 !"
              sleep 1
              printf 'SDEI-SIGNAL 200 shared !\nSDEI-SIGNAL 100 all !\nSDEI-SIGN'
              sleep 1
              printf 'AL 101 1 !\n'
              sleep 1
              echo "SDEI-CONFORMANCE passed=2 failed=0 of 2"
              exit 0 ;;
            remote)
              shift 3
              case "$1" in
              events) echo '{"event":"paused"}'; echo '{"event":"sdei-signal"}'; exit 0 ;;
              pause|resume) echo "$1" >>{{calls}}.sync; exit 0 ;;
              esac
              echo "$*" >>{{calls}}
              [ "$2" = 200 ] && { echo "vireo: refused"; exit 1; }
              exit 0 ;;
            esac
            exit 9
            """.ReplaceLineEndings("\n"));
        File.SetUnixFileMode(vireo, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var start = new ProcessStartInfo("/bin/busybox") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in (string[])["sh", "-c", SdeiConformanceGuest.L1Script(vireo, "/nonexistent.img", temp.Combine("work"))])
        {
            start.ArgumentList.Add(argument);
        }
        using Process process = Process.Start(start)!;
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(60_000), "the script did not end in 60 s");
        output += stderr.Result;

        Assert.Equal(["sdei-signal 0 --cpu 0", "sdei-signal 200", "sdei-signal 100", "sdei-signal 101 --cpu 1"], File.ReadAllLines(calls));
        SdeiConformanceReport report = SdeiConformanceReport.Parse(output);
        Assert.Equal(["0 0", "200 shared", "100 all", "101 1"], report.Requested);
        Assert.Equal([("0 0", 0), ("200 shared", 1), ("100 all", 0), ("101 1", 0)], report.Answered);
        Assert.Contains("vireo: refused", output, StringComparison.Ordinal);
        // The stream was synced once (one pause and resume) and its lines come back marked.
        Assert.Equal(["pause", "resume"], File.ReadAllLines(calls + ".sync"));
        Assert.Equal(["{\"event\":\"paused\"}", "{\"event\":\"sdei-signal\"}"], report.VmEvents);
        Assert.Contains("vireo-status=0", output.Split('\n'));
        Assert.Equal((2, 0, 2), report.Summary);
    }
}
