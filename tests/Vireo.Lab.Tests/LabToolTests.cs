using System.Diagnostics;
using Vireo.Lab;
using Vireo.LabTool;

namespace Vireo.Lab.Tests;

/// <summary>`vireo-lab`'s command line, checked without booting a lab.</summary>
public sealed class LabToolTests
{
    private static async Task<(int Status, string Stdout, string Stderr)> Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int status = await LabCommandLine.RunAsync(args, stdout, stderr);
        return (status, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task A_kernel_that_is_not_a_bzImage_is_refused_on_the_host_naming_the_host_path_before_any_lab()
    {
        var clock = Stopwatch.StartNew();

        (int status, string stdout, string stderr) = await Run("run", "--kernel", "/etc/passwd");

        Assert.Equal(1, status);
        Assert.StartsWith("vireo-lab: /etc/passwd is ", stderr, StringComparison.Ordinal);
        Assert.Matches("(not a bzImage|too short)", stderr);
        Assert.DoesNotContain("/l2/", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("L1", stderr, StringComparison.Ordinal);
        Assert.Equal("", stdout);
        // No vireo build, no apt, no QEMU: a lab boot alone takes far longer.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task A_missing_kernel_names_the_host_path()
    {
        (int status, _, string stderr) = await Run("run", "--kernel", "/nonexistent/vmlinuz");

        Assert.Equal(1, status);
        Assert.Contains("/nonexistent/vmlinuz", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("run", "--serial", "file=/tmp/x")]
    [InlineData("run", "--initramfs", "/tmp/x")]
    [InlineData("run", "--input", "a", "--input", "b")]
    [InlineData("run", "--timeout", "1")]
    [InlineData("run", "--kernel", "/boot/x", "--guest", "no-modules")]
    [InlineData("run", "--kernel-flavour", "desktop")]
    [InlineData("guest", "--guest", "tiny")]
    [InlineData("guest", "--unknown")]
    [InlineData("bench", "idle")]
    [InlineData("bench", "boot", "--rounds", "0")]
    [InlineData("frobnicate")]
    public async Task Bad_command_lines_are_usage_errors(params string[] args)
    {
        (int status, _, string stderr) = await Run(args);

        Assert.Equal(2, status);
        Assert.StartsWith("vireo-lab: ", stderr, StringComparison.Ordinal);
        Assert.Single(stderr.TrimEnd().Split('\n'));
    }

    [Fact]
    public async Task No_arguments_prints_the_help_on_stderr_as_a_usage_error_and_help_is_exit_0()
    {
        (int none, string noneOut, string noneErr) = await Run();
        (int help, string helpOut, _) = await Run("--help");
        (int runHelp, string runHelpOut, _) = await Run("run", "--help");

        Assert.Equal((2, ""), (none, noneOut));
        Assert.Contains("Usage: vireo-lab <command>", noneErr, StringComparison.Ordinal);
        Assert.Equal(0, help);
        Assert.Contains("guest [--json]", helpOut, StringComparison.Ordinal);
        Assert.Equal(0, runHelp);
        Assert.Contains("--input TEXT", runHelpOut, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_forwards_vireo_run_options_untouched_and_widens_the_guest_console()
    {
        LabRunArguments options = LabRunArguments.Parse(
            ["--cpus", "2", "--input", "ls\\n", "--memory=256M", "--append", "quiet", "--s2idle-wake-after", "2s", "--timeout", "60"]);

        Assert.Equal("ls\\n", options.Input);
        Assert.Equal(60u, options.TimeoutSeconds);
        Assert.Equal(
            ["--kernel", "/l2/k", "--initramfs", "/l2/i", "--cpus", "2", "--memory=256M", "--s2idle-wake-after", "2s",
             "--append", "quiet " + LabRunArguments.ConsoleWidthParameter],
            options.VireoRunWords("/l2/k", "/l2/i"));
        Assert.Equal(["--kernel", "/l2/k", "--append", LabRunArguments.ConsoleWidthParameter],
            LabRunArguments.Parse([]).VireoRunWords("/l2/k", null));
    }

    [Fact]
    public void The_cursor_position_query_never_reaches_the_users_terminal()
    {
        Assert.Equal("/ # ", ConsoleRelay.ForDisplay("/ # \u001b[6n"));
        Assert.Equal("plain line", ConsoleRelay.ForDisplay("plain line"));
    }

    [Fact]
    public void A_framework_dependent_build_is_not_taken_for_the_native_vireo()
    {
        // This test's own vireo-lab apphost sits beside vireo-lab.dll: it cannot run in L1.
        string apphost = Path.Combine(AppContext.BaseDirectory, "vireo-lab");
        Assert.True(File.Exists(apphost), apphost);

        Assert.False(VireoBinary.IsNative(apphost));
        LabException e = Assert.Throws<LabException>(() => VireoBinary.Locate(apphost, TextWriter.Null));
        Assert.Contains("not a NativeAOT vireo", e.Message, StringComparison.Ordinal);
        Assert.Throws<LabException>(() => VireoBinary.Locate("/nonexistent/vireo", TextWriter.Null));
    }

    [Theory]
    [InlineData("linux-image-6.1.0-57-cloud-amd64", StockKernel.CloudMetaPackage, true)]
    [InlineData("linux-image-6.1.0-57-amd64", StockKernel.CloudMetaPackage, false)]
    [InlineData("linux-image-6.1.0-57-amd64", StockKernel.GenericMetaPackage, true)]
    [InlineData("linux-image-6.1.0-57-cloud-amd64", StockKernel.GenericMetaPackage, false)]
    [InlineData("linux-image-6.1.0-57-rt-amd64", StockKernel.GenericMetaPackage, false)]
    [InlineData(".download-123", StockKernel.GenericMetaPackage, false)]
    public void A_cached_kernel_is_only_taken_for_its_own_flavour(string package, string metaPackage, bool matches)
    {
        Assert.Equal(matches, StockKernel.IsFlavourOf(package, metaPackage));
    }

    [LabFact("busybox", "cpio")]
    public void The_no_modules_guest_has_no_module_and_loads_none()
    {
        HostPackages.EnsureInstalled(["cpio", "busybox-static"]);
        using var temp = new TempDirectory();
        string image = temp.Combine("guest.cpio.gz");
        using (FileStream file = File.Create(image))
        {
            DefaultGuest.Write(file, "/bin/busybox", DefaultGuest.ModulesFor(GuestVariant.NoModules), GuestVariant.NoModules);
        }

        string[] listed = Tool.Run("gzip", $"-dc '{image}' | cpio -t --quiet").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("init", listed);
        Assert.DoesNotContain(listed, name => name.EndsWith(".ko", StringComparison.Ordinal));
        string init = DefaultGuest.InitScriptFor(GuestVariant.NoModules);
        Assert.DoesNotContain("insmod", init, StringComparison.Ordinal);
        Assert.DoesNotContain("acpid", init, StringComparison.Ordinal);
        Assert.Contains("insmod", DefaultGuest.InitScriptFor(GuestVariant.Default), StringComparison.Ordinal);
        Assert.Empty(DefaultGuest.ModulesFor(GuestVariant.NoModules));
    }
}
