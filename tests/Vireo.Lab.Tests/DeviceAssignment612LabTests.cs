using System.Text.Json;
using Vireo.Lab;
using Xunit.Abstractions;

namespace Vireo.Lab.Tests;

/// <summary>Kernel VFIO assignment on an L1 booted with Debian 12's 6.12 kernel
/// (<see cref="L1Kernel.Linux612"/>): the same edu and emulated IOMMU as
/// <see cref="DeviceAssignmentLabTests"/>, and Vireo's backend choice checked against what that
/// kernel was built with. Debian builds 6.12 without CONFIG_IOMMUFD, so there the iommufd
/// assertions take the other branch: no /dev/iommu, no cdev, auto picks the group API and
/// backend=iommufd is refused by name. A kernel with iommufd makes the same tests prove it.</summary>
[Collection(DeviceAssignment612LabCollection.Name)]
public sealed class DeviceAssignment612LabTests(DeviceAssignment612L1Fixture lab, ITestOutputHelper output)
{
    private const string Backend = @"vireo: device 'edu': 0000:00:[0-9a-f]{2}\.0: vfio \(";

    private bool HasIommufd => (lab.Kernel ?? throw new InvalidOperationException($"the lab was not prepared:\n{lab.Log}")).HasIommufd;

    private async Task<LabCommandResult> Run(string command, TimeSpan? timeout = null)
    {
        LabCommandResult result = await lab.Machine.RunAsync(command, timeout);
        output.WriteLine($"$ {command}\n-> status {result.ExitStatus} in {result.Elapsed.TotalSeconds:0.00} s\n{result.Output}");
        return result;
    }

    [LabFact("qemu-system-x86_64", "busybox", "cpio")]
    public async Task Kvm_amd_loads_with_nested_paging_on_the_612_kernel_beside_the_iommu()
    {
        output.WriteLine(lab.Log);
        Assert.Empty(lab.Machine.FailedModules);
        LabCommandResult svm = await Run("uname -r; ls -d /sys/module/kvm_amd && dmesg | grep -i 'nested paging'");
        Assert.Equal(0, svm.ExitStatus);
        Assert.StartsWith("6.12.", svm.Output, StringComparison.Ordinal);
        Assert.Contains("nested paging enabled", svm.Output, StringComparison.OrdinalIgnoreCase);

        Assert.True(lab.VireoPublishFailure is null, lab.VireoPublishFailure);
        LabCommandResult info = await Run($"{L1Fixture.VireoInL1} kvm-info --json");
        Assert.Equal(0, info.ExitStatus);
        using JsonDocument json = JsonDocument.Parse(info.Output);
        Assert.Equal("amd", json.RootElement.GetProperty("backend").GetString());
    }

    [LabFact("qemu-system-x86_64", "busybox", "cpio")]
    public async Task The_612_kernel_offers_the_group_api_and_offers_iommufd_with_cdevs_exactly_when_built_with_it()
    {
        Assert.Empty(lab.Machine.FailedModules);
        string link = DeviceAssignmentInL1.EduLink;
        LabCommandResult result = await Run(
            $"cat {DeviceAssignmentInL1.EduBindLog}; a=$(cat {DeviceAssignmentInL1.EduAddressFile}) || exit 1\n" +
            "echo \"kernel=$(uname -r)\"\n" +
            $"echo \"driver=$(basename $(readlink {link}/driver))\"\n" +
            "echo \"iommus=$(ls /sys/class/iommu | tr '\\n' ' ')\"\n" +
            "[ -c /dev/vfio/vfio ] && echo container=yes || echo container=no\n" +
            $"g=$(basename $(readlink {link}/iommu_group)); [ -c /dev/vfio/$g ] && echo groupdev=yes || echo groupdev=no\n" +
            "[ -c /dev/iommu ] && echo iommu=yes || echo iommu=no\n" +
            "[ -d /sys/module/iommufd ] && echo iommufd_module=yes || echo iommufd_module=no\n" +
            $"v=$(ls {link}/vfio-dev 2>/dev/null); echo \"vfio_dev=$v\"\n" +
            "[ -n \"$v\" ] && [ -c /dev/vfio/devices/$v ] && echo cdev=yes || echo cdev=no");

        Assert.Equal(0, result.ExitStatus);
        Dictionary<string, string> facts = result.OutputLines.Where(l => l.Contains('=', StringComparison.Ordinal))
            .Select(l => l.Split('=', 2)).GroupBy(p => p[0]).ToDictionary(g => g.Key, g => g.First()[1].Trim());
        Assert.StartsWith("6.12.", facts["kernel"], StringComparison.Ordinal);
        Assert.Equal("vfio-pci", facts["driver"]);
        Assert.Contains("dmar0", facts["iommus"], StringComparison.Ordinal);
        // Debian's 6.12 keeps VFIO's group/container API (CONFIG_VFIO_GROUP, CONFIG_VFIO_CONTAINER).
        Assert.Equal("yes", facts["container"]);
        Assert.Equal("yes", facts["groupdev"]);
        // Sysfs names the vfio device either way; only iommufd's kernels give it a cdev.
        Assert.Matches("^vfio[0-9]+$", facts["vfio_dev"]);
        string expected = HasIommufd ? "yes" : "no";
        Assert.Equal(expected, facts["iommu"]);
        Assert.Equal(expected, facts["cdev"]);
        if (lab.Kernel!.ConfigOption("CONFIG_IOMMUFD") == "m")
        {
            Assert.Equal("yes", facts["iommufd_module"]);
        }
        output.WriteLine($"boot of {lab.Kernel.Release} with the IOMMU: {lab.BootTime.TotalSeconds:0.0} s\n{lab.Log}");
    }

    [LabFact("qemu-system-x86_64", "busybox", "cpio")]
    public async Task Vireo_assigns_edu_with_the_backend_auto_picks_on_612_and_the_edu_checker_passes_with_intx_and_msi()
    {
        Assert.True(lab.VireoPublishFailure is null, lab.VireoPublishFailure);
        Assert.True(lab.GuestDriverFailure is null, lab.GuestDriverFailure);

        LabCommandResult result = await Run(EduAssignment.VireoCommand("id=edu"), TimeSpan.FromSeconds(480));

        Assert.True(result.ExitStatus == 0, result.Output);
        // Auto prefers iommufd wherever the kernel has it, and says why when it falls back.
        Assert.Matches(Backend + (HasIommufd ? @"iommufd\) via /dev/iommu and /dev/vfio/devices/vfio[0-9]+ " : @"group\) via .*no /dev/iommu"),
            result.Output);
        EduAssignment.AssertCheckerPassedWithIntxAndMsi(result.Output);
        Assert.Contains("after: driver=vfio-pci", result.Output, StringComparison.Ordinal);
    }

    [LabFact("qemu-system-x86_64", "busybox", "cpio")]
    public async Task Vireo_assigns_edu_through_the_group_api_on_612_and_the_edu_checker_passes_with_intx_and_msi()
    {
        Assert.True(lab.VireoPublishFailure is null, lab.VireoPublishFailure);
        Assert.True(lab.GuestDriverFailure is null, lab.GuestDriverFailure);

        LabCommandResult result = await Run(EduAssignment.VireoCommand("id=edu,backend=group"), TimeSpan.FromSeconds(480));

        Assert.True(result.ExitStatus == 0, result.Output);
        Assert.Matches(Backend + @"group\) via /dev/vfio/vfio and /dev/vfio/[0-9]+ \(asked for\)", result.Output);
        EduAssignment.AssertCheckerPassedWithIntxAndMsi(result.Output);
        Assert.Contains("after: driver=vfio-pci", result.Output, StringComparison.Ordinal);
    }

    [LabFact("qemu-system-x86_64", "busybox", "cpio")]
    public async Task Vireo_with_backend_iommufd_on_612_assigns_edu_when_the_kernel_has_it_and_refuses_by_name_when_not()
    {
        Assert.True(lab.VireoPublishFailure is null, lab.VireoPublishFailure);
        Assert.True(lab.GuestDriverFailure is null, lab.GuestDriverFailure);

        LabCommandResult result = await Run(EduAssignment.VireoCommand("id=edu,backend=iommufd"), TimeSpan.FromSeconds(480));

        if (HasIommufd)
        {
            Assert.True(result.ExitStatus == 0, result.Output);
            Assert.Matches(Backend + @"iommufd\) via /dev/iommu and /dev/vfio/devices/vfio[0-9]+ \(asked for\)", result.Output);
            EduAssignment.AssertCheckerPassedWithIntxAndMsi(result.Output);
        }
        else
        {
            // Refused before the guest boots, naming the device and the missing kernel feature.
            Assert.NotEqual(0, result.ExitStatus);
            Assert.Matches(@"iommufd was asked for 0000:00:[0-9a-f]{2}\.0 but no /dev/iommu: the kernel lacks iommufd", result.Output);
            Assert.DoesNotContain("=== edu", result.Output, StringComparison.Ordinal);
        }
        Assert.Contains("after: driver=vfio-pci", result.Output, StringComparison.Ordinal);
    }
}
