namespace Vireo.Cli.Tests;

/// <summary>`vireo run --console serial|virtio`: which guest device the console is, and the
/// default command line that follows from it.</summary>
public sealed class ConsoleRunOptionTests
{
    [Fact]
    public void Virtio_makes_hvc0_the_default_console_and_serial_stays_the_default()
    {
        RunOptions virtio = RunOptions.Parse(["--console", "virtio"]);
        RunOptions plain = RunOptions.Parse([]);

        Assert.Equal(ConsoleDevice.Virtio, virtio.Console);
        Assert.Equal(ConsoleDevice.Serial, plain.Console);
        Assert.Equal(ConsoleDevice.Serial, RunOptions.Parse(["--console", "serial"]).Console);
        string hvc = virtio.ToConfig("/k", null).Cmdline;
        Assert.Contains("console=hvc0", hvc, StringComparison.Ordinal);
        Assert.DoesNotContain("ttyS0", hvc, StringComparison.Ordinal);
        Assert.Contains("console=ttyS0", plain.ToConfig("/k", null).Cmdline, StringComparison.Ordinal);
        // --append extends the default; --cmdline replaces it whatever the console is.
        Assert.EndsWith("console=hvc0 reboot=k panic=-1 quiet", RunOptions.Parse(["--console", "virtio", "--append", "quiet"]).ToConfig("/k", null).Cmdline, StringComparison.Ordinal);
        Assert.Equal("console=ttyS0", RunOptions.Parse(["--console", "virtio", "--cmdline", "console=ttyS0"]).ToConfig("/k", null).Cmdline);
    }

    [Fact]
    public async Task A_bad_console_value_is_a_usage_error_that_names_the_choices()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        int status = await CommandLine.RunAsync(["run", "--console", "hvc0"], stdout, stderr);

        Assert.Equal(2, status);
        Assert.Empty(stdout.ToString());
        Assert.StartsWith("vireo: run: --console takes serial or virtio, not 'hvc0'", stderr.ToString());
    }

    [Fact]
    public async Task The_virtio_console_id_is_in_the_one_device_namespace()
    {
        var stderr = new StringWriter();

        Assert.Equal(2, await CommandLine.RunAsync(["run", "--disk", "/a,id=console0", "--console", "virtio"], new StringWriter(), stderr));
        Assert.Contains("device id 'console0' is given to a --disk and a --console device; give each its own id=NAME", stderr.ToString());
    }
}
