using Vireo.Lab;
using Xunit.Abstractions;

namespace Vireo.Lab.Tests;

/// <summary>The stock Debian kernel (L2) finds Vireo's PCI root bus: config access through
/// mechanism #1 and ECAM, the host bridge at 00.0, the ACPI root bridge and its _OSC.</summary>
[Collection(LabCollection.Name)]
public sealed class L2PciTests(L1Fixture lab, ITestOutputHelper output)
{
    private static readonly TimeSpan s_l2Timeout = TimeSpan.FromMinutes(4);

    [LabFact("qemu-system-x86_64", "busybox", "cpio")]
    public async Task The_stock_kernel_uses_ecam_and_sees_the_host_bridge_at_00_0()
    {
        Assert.True(lab.VireoPublishFailure is null, lab.VireoPublishFailure);
        const string device = "/sys/bus/pci/devices/0000:00:00.0";
        string[] words = [L1Fixture.VireoInL1, "run", "--kernel", L1Fixture.L2Kernel, "--initramfs", L1Fixture.L2Initramfs, "--memory", "256M"];
        string command = L2Command.Build(words,
            $"echo pci-ids=$(cat {device}/vendor):$(cat {device}/device):$(cat {device}/class); ls /sys/bus/pci/devices; poweroff -f\n");

        LabCommandResult result = await lab.Machine.RunAsync(command, s_l2Timeout);
        output.WriteLine($"status {result.ExitStatus} in {result.Elapsed.TotalSeconds:0.0} s\n{result.Output}");

        Assert.DoesNotContain("No config space access function found", result.Output, StringComparison.Ordinal);
        // arch/x86/pci/mmconfig-shared.c: the MCFG entry taken, and kept because e820 reserves it.
        Assert.Matches(@"(MMCONFIG|ECAM) for domain 0000 \[bus 00-00\] at \[mem 0xe0000000-0xe00fffff\]", result.Output);
        Assert.DoesNotMatch(@"[Nn]ot using (MMCONFIG|ECAM)", result.Output);
        // drivers/acpi/pci_root.c: \_SB.PCI0 bound, bus 0 scanned, native control granted by _OSC.
        Assert.Contains("PCI Root Bridge [PCI0] (domain 0000 [bus 00])", result.Output, StringComparison.Ordinal);
        Assert.Contains("_OSC: OS now controls", result.Output, StringComparison.Ordinal);
        Assert.Contains("pci-ids=0x1b36:0x0008:0x060000", result.Output, StringComparison.Ordinal);
        LabAssert.PoweredOffConfined(result.Output);
        Assert.Equal(0, result.ExitStatus);
    }
}
