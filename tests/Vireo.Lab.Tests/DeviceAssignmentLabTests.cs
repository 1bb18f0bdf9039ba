using System.Globalization;
using System.Text.Json;
using Vireo.Lab;
using Xunit.Abstractions;

namespace Vireo.Lab.Tests;

/// <summary>The L1 side of kernel VFIO assignment: an L1 with an emulated IOMMU (intel-iommu)
/// and QEMU's edu device, edu bound to vfio-pci at boot, and nested SVM still working there.</summary>
[Collection(DeviceAssignmentLabCollection.Name)]
public sealed class DeviceAssignmentLabTests(DeviceAssignmentL1Fixture lab, ITestOutputHelper output)
{
    private async Task<LabCommandResult> Run(string command, TimeSpan? timeout = null)
    {
        LabCommandResult result = await lab.Machine.RunAsync(command, timeout);
        output.WriteLine($"$ {command}\n-> status {result.ExitStatus} in {result.Elapsed.TotalSeconds:0.00} s\n{result.Output}");
        return result;
    }

    [LabFact("qemu-system-x86_64", "busybox", "cpio")]
    public async Task Kvm_amd_loads_with_nested_paging_beside_the_iommu_and_vireo_sees_the_amd_backend()
    {
        Assert.Empty(lab.Machine.FailedModules);
        LabCommandResult svm = await Run("ls -d /sys/module/kvm_amd && dmesg | grep -i 'nested paging'");
        Assert.Equal(0, svm.ExitStatus);
        Assert.Contains("nested paging enabled", svm.Output, StringComparison.OrdinalIgnoreCase);

        Assert.True(lab.VireoPublishFailure is null, lab.VireoPublishFailure);
        LabCommandResult info = await Run($"{L1Fixture.VireoInL1} kvm-info --json");
        Assert.Equal(0, info.ExitStatus);
        using JsonDocument json = JsonDocument.Parse(info.Output);
        Assert.Equal("amd", json.RootElement.GetProperty("backend").GetString());
    }

    [LabFact("qemu-system-x86_64", "busybox", "cpio")]
    public async Task The_iommu_is_on_and_the_vfio_modules_are_loaded()
    {
        Assert.Empty(lab.Machine.FailedModules);
        LabCommandResult result = await Run(
            "cat /proc/cmdline; ls /sys/class/iommu; for m in vfio vfio_iommu_type1 vfio_pci_core vfio_pci irqbypass; do ls -d /sys/module/$m; done; ls -l /dev/vfio/vfio");

        Assert.Equal(0, result.ExitStatus);
        Assert.Contains(DeviceAssignmentInL1.KernelParameter, result.Output, StringComparison.Ordinal);
        // intel-iommu registers its DMA remapping unit as dmar0.
        Assert.Contains("dmar0\n", result.Output, StringComparison.Ordinal);
        Assert.Contains("/sys/module/vfio_pci\n", result.Output, StringComparison.Ordinal);
    }

    [LabFact("qemu-system-x86_64", "busybox", "cpio")]
    public async Task Edu_is_bound_to_vfio_pci_alone_in_its_iommu_group_with_its_group_device()
    {
        string link = DeviceAssignmentInL1.EduLink;
        LabCommandResult result = await Run(
            $"cat {DeviceAssignmentInL1.EduBindLog}; a=$(cat {DeviceAssignmentInL1.EduAddressFile}) || exit 1\n" +
            "echo \"address=$a\"\n" +
            $"echo \"id=$(cat {link}/vendor):$(cat {link}/device)\"\n" +
            $"echo \"driver=$(basename $(readlink {link}/driver))\"\n" +
            $"g=$(basename $(readlink {link}/iommu_group)); echo \"group=$g\"\n" +
            $"echo \"members=$(ls {link}/iommu_group/devices | tr '\\n' ' ')\"\n" +
            "ls -l /dev/vfio/$g && echo \"groupdev=/dev/vfio/$g\"\n" +
            $"echo \"runtime_status=$(cat {link}/power/runtime_status)\"\n" +
            "[ -e /dev/iommu ] && echo iommufd=yes || echo iommufd=no\n" +
            $"echo \"vfio_dev=$(ls {link}/vfio-dev 2>/dev/null | tr '\\n' ' ')\"\n" +
            "echo \"cdev=$(ls /dev/vfio/devices 2>/dev/null | tr '\\n' ' ')\"\n" +
            "echo \"kernel=$(uname -r)\"");

        Assert.Equal(0, result.ExitStatus);
        Dictionary<string, string> facts = result.OutputLines.Where(l => l.Contains('=', StringComparison.Ordinal))
            .Select(l => l.Split('=', 2)).GroupBy(p => p[0]).ToDictionary(g => g.Key, g => g.First()[1].Trim());
        Assert.Matches(@"^0000:00:[0-9a-f]{2}\.0$", facts["address"]);
        Assert.Equal("0x1234:0x11e8", facts["id"]);
        Assert.Equal("vfio-pci", facts["driver"]);
        Assert.Equal(facts["address"], facts["members"]);
        Assert.Equal($"/dev/vfio/{facts["group"]}", facts["groupdev"]);
        // vfio-pci lets an idle device runtime-suspend (edu has no PM capability, so it stays in D0).
        Assert.Contains(facts["runtime_status"], (string[])["suspended", "active"]);
        // Debian 12's 6.1 kernel predates iommufd (6.2) and VFIO device cdevs (6.6): it has the
        // group API only, though sysfs already names the vfio device (vfio-dev/vfio0).
        if (facts["kernel"].StartsWith("6.1.", StringComparison.Ordinal))
        {
            Assert.Equal("no", facts["iommufd"]);
            Assert.Equal("", facts["cdev"]);
        }
        output.WriteLine($"boot with the IOMMU: {lab.BootTime.TotalSeconds:0.0} s\n{lab.Log}");
    }

    [LabFact("qemu-system-x86_64", "busybox", "cpio")]
    public async Task Qemu_in_l1_assigns_edu_to_a_stock_guest_whose_edu_checker_passes_with_intx_and_msi()
    {
        Assert.True(lab.GuestDriverFailure is null, lab.GuestDriverFailure);
        output.WriteLine(lab.Log);
        const int Interrupts = QemuAssignmentInL1.DefaultInterrupts;
        // The script `vireo-lab run --l1-qemu` ships too, so this reproduces by hand.
        LabCommandResult result = await Run(QemuAssignmentInL1.Program, TimeSpan.FromSeconds(600));

        Assert.True(result.ExitStatus == 0, result.Output);
        Assert.Contains("=== edu done ===", result.Output, StringComparison.Ordinal);
        int msiAt = result.Output.IndexOf("=== edu msi ===", StringComparison.Ordinal);
        Assert.True(msiAt > 0, result.Output);
        foreach ((string mode, string part) in (ReadOnlySpan<(string, string)>)[("intx", result.Output[..msiAt]), ("msi", result.Output[msiAt..])])
        {
            // Once at probe, once more through the run attribute (the device still answers).
            IReadOnlyList<EduCheckLine> lines = EduChecker.Parse(part);
            Assert.Equal([.. EduChecker.Checks, .. EduChecker.Checks], lines.Select(l => l.Check));
            Assert.All(lines, l => Assert.True(l.Ok, $"{mode}: {l.Check} failed: {l.Reason}\n{result.Output}"));
            Assert.All(lines.Where(l => l.Check == "id"), l => Assert.Equal("0x010000ed", l.Fields["value"]));
            Assert.All(lines.Where(l => l.Check == "factorial"), l => Assert.Equal("479001600", l.Fields["result"]));
            Assert.Equal(["0x5a5a0001", "0x5a5a0002"], lines.Where(l => l.Check == "liveness").Select(l => l.Fields["wrote"]));
            Assert.All(lines.Where(l => l.Check == "irq"), irq =>
            {
                Assert.Equal(Interrupts.ToString(CultureInfo.InvariantCulture), irq.Fields["irqs"]);
                Assert.Equal(mode, irq.Fields["mode"]);
            });
            Assert.Contains($"handler total: {2 * Interrupts}\n", part, StringComparison.Ordinal);
        }
        // QEMU has let go of the group: edu is back, idle, on L1's vfio-pci.
        LabCommandResult after = await Run($"basename $(readlink {DeviceAssignmentInL1.EduLink}/driver)");
        Assert.Equal("vfio-pci", after.Output.Trim());
    }
}
