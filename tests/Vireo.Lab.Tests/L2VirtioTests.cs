using System.Text.RegularExpressions;
using Vireo.Lab;
using Xunit.Abstractions;

namespace Vireo.Lab.Tests;

/// <summary>The stock Debian kernel (L2) drives Vireo's virtio devices with its own modules:
/// virtio_pci binds the function, the device's driver runs, and its interrupts arrive as MSI-X.</summary>
[Collection(LabCollection.Name)]
public sealed partial class L2VirtioTests(L1Fixture lab, ITestOutputHelper output)
{
    private static readonly TimeSpan s_l2Timeout = TimeSpan.FromMinutes(4);

    [LabFact("qemu-system-x86_64", "busybox", "cpio")]
    public async Task The_stock_kernel_reads_dev_hwrng_from_virtio_rng_with_msix_interrupts()
    {
        Assert.True(lab.VireoPublishFailure is null, lab.VireoPublishFailure);
        string[] words = [L1Fixture.VireoInL1, "run", "--kernel", L1Fixture.L2Kernel, "--initramfs", L1Fixture.L2Initramfs, "--memory", "256M", "--rng"];
        string command = L2Command.Build(words,
            "echo rng-current=$(cat /sys/class/misc/hw_random/rng_current)\n" +
            "echo hwrng=$(dd if=/dev/hwrng bs=32 count=1 2>/dev/null | od -An -tx1 | tr -d ' \\n')\n" +
            "echo hwrng2=$(dd if=/dev/hwrng bs=32 count=1 2>/dev/null | od -An -tx1 | tr -d ' \\n')\n" +
            "grep virtio /proc/interrupts\n" +
            "poweroff -f\n");

        LabCommandResult result = await lab.Machine.RunAsync(command, s_l2Timeout);
        output.WriteLine($"status {result.ExitStatus} in {result.Elapsed.TotalSeconds:0.0} s\n{result.Output}");

        // drivers/char/hw_random/virtio-rng.c registers "virtio_rng.<index>" and, the only hwrng, it is current.
        Assert.Contains("rng-current=virtio_rng.0", result.Output, StringComparison.Ordinal);
        // Lines the guest printed (the typed command lines echo "hwrng=$(dd ..." too).
        string first = HwrngLine().Match(result.Output).Groups["bytes"].Value;
        string second = Hwrng2Line().Match(result.Output).Groups["bytes"].Value;
        Assert.Equal(64, first.Length);
        Assert.Equal(64, second.Length);
        Assert.NotEqual(first, second);
        // virtio_pci gave the queue its own MSI-X vector ("virtio0-input"), and it fired.
        Match queue = QueueInterrupts().Match(result.Output);
        Assert.True(queue.Success, "no MSI-X vector for the entropy queue in /proc/interrupts");
        Assert.True(long.Parse(queue.Groups["count"].Value, System.Globalization.CultureInfo.InvariantCulture) > 0,
            $"the entropy queue's vector never fired: {queue.Value}");
        Assert.Contains("vireo: guest powered off", result.Output, StringComparison.Ordinal);
        Assert.Equal(0, result.ExitStatus);
    }

    [GeneratedRegex(@"^\s*hwrng=(?<bytes>[0-9a-f]+)\r?$", RegexOptions.Multiline)]
    private static partial Regex HwrngLine();

    [GeneratedRegex(@"^\s*hwrng2=(?<bytes>[0-9a-f]+)\r?$", RegexOptions.Multiline)]
    private static partial Regex Hwrng2Line();

    [GeneratedRegex(@"^\s*\d+:\s+(?<count>\d+)\s.*MSI.*virtio0-input", RegexOptions.Multiline)]
    private static partial Regex QueueInterrupts();
}
