using System.Globalization;
using System.Text.Json;
using Vireo.Lab;
using Xunit.Abstractions;

namespace Vireo.Lab.Tests;

/// <summary>Kernel VFIO assignment in the nested lab: an L1 with an emulated IOMMU (intel-iommu)
/// and QEMU's edu device, edu bound to vfio-pci at boot, nested SVM still working there, and
/// edu assigned to the stock guest by vireo (`--vfio`) and, as an independent check, by QEMU.</summary>
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
        EduAssignment.AssertCheckerPassedWithIntxAndMsi(result.Output, Interrupts);
        // QEMU has let go of the group: edu is back, idle, on L1's vfio-pci.
        LabCommandResult after = await Run($"basename $(readlink {DeviceAssignmentInL1.EduLink}/driver)");
        Assert.Equal("vfio-pci", after.Output.Trim());
    }

    [LabFact("qemu-system-x86_64", "busybox", "cpio")]
    public async Task Vireo_assigns_edu_through_kernel_vfio_and_the_stock_guests_edu_checker_passes_with_intx_and_msi()
    {
        Assert.True(lab.VireoPublishFailure is null, lab.VireoPublishFailure);
        Assert.True(lab.GuestDriverFailure is null, lab.GuestDriverFailure);
        string command = EduAssignment.VireoCommand("id=edu");

        LabCommandResult result = await Run(command, TimeSpan.FromSeconds(480));

        Assert.True(result.ExitStatus == 0, result.Output);
        // The backend choice is printed: Debian 12's 6.1 has the group API only.
        Assert.Matches(@"vireo: device 'edu': 0000:00:[0-9a-f]{2}\.0: vfio \((group|iommufd)\) via ", result.Output);
        EduAssignment.AssertCheckerPassedWithIntxAndMsi(result.Output);
        // Vireo has let go of the group: edu is back on L1's vfio-pci.
        Assert.Contains("after: driver=vfio-pci", result.Output, StringComparison.Ordinal);
    }

    /// <summary>The agent's whole path on a real kernel: `vireo agent` runs as root in L1 with a
    /// policy for uid 65534; `vireo run` runs as that uid (util-linux setpriv), with /dev/kvm
    /// opened up to it but /dev/vfio left root's, and gets edu from the agent; a request under
    /// another VM name is refused on both sides.</summary>
    [LabFact("qemu-system-x86_64", "busybox", "cpio")]
    public async Task The_agent_hands_edu_to_an_unprivileged_vireo_and_refuses_a_request_outside_its_policy()
    {
        Assert.True(lab.VireoPublishFailure is null, lab.VireoPublishFailure);
        Assert.True(lab.GuestDriverFailure is null, lab.GuestDriverFailure);
        const int Interrupts = 4;
        string append = "quiet " + DefaultGuest.ScriptArgument(QemuAssignmentInL1.GuestScript(Interrupts));
        string run = string.Join(' ', new[]
        {
            DeviceAssignmentInL1.SetprivInL1, "--reuid=65534", "--regid=65534", "--clear-groups",
            L1Fixture.VireoInL1, "run", "--kernel", L1Fixture.L2Kernel, "--initramfs", L1Fixture.L2Initramfs, "--memory", "256M",
            "--append", append,
        }.Select(L2Command.Quote));
        string vireo = L2Command.Quote(L1Fixture.VireoInL1);
        string command = string.Join("\n",
            $"edu=$(cat {DeviceAssignmentInL1.EduAddressFile}) || exit 1",
            "echo '{\"grants\":[{\"uid\":65534,\"vm\":\"lab\",\"devices\":[\"'$edu'\"]}]}' > /tmp/agent.json",
            $"{vireo} agent --policy /tmp/agent.json --socket /run/vireo-agent.sock >/tmp/agent.out 2>/tmp/agent.log & apid=$!",
            "n=0; while ! grep -q serving /tmp/agent.out && [ $n -lt 100 ]; do n=$((n+1)); sleep 0.1; done; cat /tmp/agent.out",
            "chmod 0666 /dev/kvm; ulimit -l unlimited",
            $"g=$(basename $(readlink {DeviceAssignmentInL1.EduLink}/iommu_group)); echo \"group node: $(stat -c '%a %u' /dev/vfio/$g)\"",
            $"timeout 120 {run} --agent /run/vireo-agent.sock,vm=other --vfio $edu </dev/null; echo \"refused status=$?\"",
            $"timeout 400 {run} --agent /run/vireo-agent.sock,vm=lab --vfio $edu,id=edu </dev/null; echo \"granted status=$?\"",
            "kill -TERM $apid; wait $apid; echo \"agent status=$?\"",
            "sed 's/^/agent-log: /' /tmp/agent.log",
            "[ -e /run/vireo-agent.sock ] && echo 'socket left behind' || true");

        LabCommandResult result = await Run(command, TimeSpan.FromSeconds(600));

        Assert.Equal(0, result.ExitStatus);
        Assert.Contains("serving /run/vireo-agent.sock (1 grant from /tmp/agent.json)", result.Output, StringComparison.Ordinal);
        // The VMM's user could not have opened the group itself.
        Assert.Contains("group node: 600 0", result.Output, StringComparison.Ordinal);
        Assert.Matches(@"vireo: the device agent refused device 0000:00:[0-9a-f]{2}\.0: the policy has no grant for uid 65534 running VM 'other'", result.Output);
        Assert.Contains("refused status=1", result.Output, StringComparison.Ordinal);
        Assert.Matches(@"agent-log: vireo agent: uid 65534 \(pid \d+\): refused 0000:00:[0-9a-f]{2}\.0 for VM 'other'", result.Output);
        Assert.Matches(@"agent-log: vireo agent: uid 65534 \(pid \d+\): granted 0000:00:[0-9a-f]{2}\.0 \(IOMMU group \d+, group backend\) for VM 'lab'", result.Output);
        Assert.Matches(@"vireo: device 'edu': 0000:00:[0-9a-f]{2}\.0 \(IOMMU group \d+\) from the agent at /run/vireo-agent.sock, vfio \(group\)", result.Output);
        Assert.Contains("granted status=0", result.Output, StringComparison.Ordinal);
        EduAssignment.AssertCheckerPassedWithIntxAndMsi(result.Output, Interrupts);
        Assert.Contains("agent status=0", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("socket left behind", result.Output, StringComparison.Ordinal);
    }

    /// <summary>The host's device power policy on a real kernel: while the guest leaves edu idle,
    /// `vireo remote device-power edu on` lets L1's vfio-pci runtime-suspend it; the guest's next
    /// access (loading its driver) wakes it through the kernel, Vireo sees the wake eventfd, and
    /// the guest's checks all pass.</summary>
    [LabFact("qemu-system-x86_64", "busybox", "cpio")]
    public async Task Device_power_on_lets_l1_suspend_edu_and_the_guests_next_access_wakes_it()
    {
        Assert.True(lab.VireoPublishFailure is null, lab.VireoPublishFailure);
        Assert.True(lab.GuestDriverFailure is null, lab.GuestDriverFailure);
        string script = $"""
            echo "@@edu-idle@@"
            sleep 10
            insmod {EduChecker.GuestPath} irq_mode=intx irqs=2
            dmesg | grep {EduChecker.ModuleName}
            echo "@@edu-used@@"
            sleep 1
            poweroff -f
            """;
        string run = string.Join(' ', new[]
        {
            L1Fixture.VireoInL1, "run", "--kernel", L1Fixture.L2Kernel, "--initramfs", L1Fixture.L2Initramfs, "--memory", "256M",
            "--api-socket", "/tmp/api.sock", "--append", "quiet " + DefaultGuest.ScriptArgument(script),
        }.Select(L2Command.Quote));
        string vireo = L2Command.Quote(L1Fixture.VireoInL1);
        string status = "/sys/bus/pci/devices/$edu/power/runtime_status";
        string command = string.Join("\n",
            $"edu=$(cat {DeviceAssignmentInL1.EduAddressFile}) || exit 1",
            "rm -f /tmp/api.sock",
            $"{run} --vfio \"$edu,id=edu\" </dev/null >/tmp/out 2>&1 & pid=$!",
            "waitfor() { n=0; while ! grep -q \"$1\" /tmp/out; do n=$((n+1)); [ $n -gt 1200 ] && { echo \"lab: no $1\"; cat /tmp/out; kill $pid; exit 9; }; sleep 0.1; done; }",
            "waitfor '@@edu-idle@@'",
            $"{vireo} remote --api-socket /tmp/api.sock events >/tmp/events & epid=$!",
            $"echo \"before: $(cat {status})\"",
            $"{vireo} remote --api-socket /tmp/api.sock device-power edu on; echo \"on status=$?\"",
            $"n=0; while [ \"$(cat {status})\" != suspended ] && [ $n -lt 50 ]; do n=$((n+1)); sleep 0.1; done",
            $"echo \"low: $(cat {status})\"",
            $"{vireo} remote --api-socket /tmp/api.sock devices --json | tr -d ' \\n' | grep -o '\"power\":\"[a-z-]*\"' | sed 's/^/listed /'",
            "waitfor '@@edu-used@@'",
            $"echo \"after: $(cat {status})\"",
            "wait $pid; s=$?; sleep 0.5; kill $epid 2>/dev/null",
            "cat /tmp/out; sed 's/^/event: /' /tmp/events; exit $s");

        LabCommandResult result = await Run(command, TimeSpan.FromSeconds(300));

        Assert.Equal(0, result.ExitStatus);
        Assert.Contains("before: active", result.Output, StringComparison.Ordinal);
        Assert.Contains("on status=0", result.Output, StringComparison.Ordinal);
        Assert.Contains("low: suspended", result.Output, StringComparison.Ordinal);
        Assert.Contains("listed \"power\":\"low-power\"", result.Output, StringComparison.Ordinal);
        Assert.Contains("after: active", result.Output, StringComparison.Ordinal);
        Assert.Matches("event: .*\"device-low-power\".*\"cause\":\"api\"", result.Output);
        // The guest never powered the device off, so its wake is the host's news only: no wake GPE.
        Assert.Matches("event: .*\"device-wake\".*\"cause\":\"device\".*\"gpe\":\"none\"", result.Output);
        IReadOnlyList<EduCheckLine> lines = EduChecker.Parse(result.Output);
        Assert.Equal(EduChecker.Checks, lines.Select(l => l.Check));
        Assert.All(lines, l => Assert.True(l.Ok, $"{l.Check} failed: {l.Reason}\n{result.Output}"));
    }

    /// <summary>Issue #14 on the kernel backend: the stock guest's own runtime PM puts its edu in
    /// D3cold through the slot's ACPI power resource, which becomes VFIO's LOW_POWER_ENTRY and L1's
    /// vfio-pci runtime-suspends the real device; the guest's next use of its driver resumes it
    /// (_ON: LOW_POWER_EXIT) and every check passes. edu has no PM capability, and Linux allows
    /// D3cold only to a device with one (pci_pm_init), so the guest sees Vireo's virtual one,
    /// with PME from D3 (the kernel offers the wakeup entry), so the guest arms the wake and the
    /// entry is LOW_POWER_ENTRY_WITH_WAKEUP. L1 then runtime-resumes edu itself (power/control
    /// on): the kernel signals the wake eventfd, Vireo raises the slot's wake GPE, and the guest
    /// resumes the device with no access of its own.</summary>
    [LabFact("qemu-system-x86_64", "busybox", "cpio")]
    public async Task The_guests_runtime_pm_takes_edu_to_d3cold_and_l1_suspends_it_until_the_guest_uses_it()
    {
        Assert.True(lab.VireoPublishFailure is null, lab.VireoPublishFailure);
        Assert.True(lab.GuestDriverFailure is null, lab.GuestDriverFailure);
        string script = $$"""
            insmod {{EduChecker.GuestPath}} irq_mode=intx irqs=2
            d=$(ls -d /sys/bus/pci/drivers/{{EduChecker.ModuleName}}/0000:* | head -1)
            echo auto > $d/power/control
            n=0; while [ "$(cat $d/power/runtime_status)" != suspended ] && [ $n -lt 100 ]; do n=$((n+1)); sleep 0.2; done
            echo "guest-low state=$(cat $d/power_state) rt=$(cat $d/power/runtime_status) suspends=$(cat $d/runtime_suspends)"
            echo "@@edu-low@@"
            n=0; while [ "$(cat $d/runtime_resumes)" -lt 1 ] && [ $n -lt 300 ]; do n=$((n+1)); sleep 0.2; done
            echo "guest-woken resumes=$(cat $d/runtime_resumes) wake-gpe=$(cat /sys/firmware/acpi/interrupts/gpe11)"
            dmesg -c > /dev/null
            echo 1 > $d/run
            dmesg | grep {{EduChecker.ModuleName}}
            echo "guest-used rt=$(cat $d/power/runtime_status) resumes=$(cat $d/runtime_resumes)"
            echo "@@edu-used@@"
            sleep 1
            poweroff -f
            """;
        string run = string.Join(' ', new[]
        {
            L1Fixture.VireoInL1, "run", "--kernel", L1Fixture.L2Kernel, "--initramfs", L1Fixture.L2Initramfs, "--memory", "256M",
            "--api-socket", "/tmp/api.sock", "--append", "quiet " + DefaultGuest.ScriptArgument(script),
        }.Select(L2Command.Quote));
        string vireo = L2Command.Quote(L1Fixture.VireoInL1);
        string status = "/sys/bus/pci/devices/$edu/power/runtime_status";
        string command = string.Join("\n",
            $"edu=$(cat {DeviceAssignmentInL1.EduAddressFile}) || exit 1",
            "rm -f /tmp/api.sock",
            $"{run} --vfio \"$edu,id=edu\" </dev/null >/tmp/out 2>&1 & pid=$!",
            "waitfor() { n=0; while ! grep -q \"$1\" /tmp/out; do n=$((n+1)); [ $n -gt 1200 ] && { echo \"lab: no $1\"; cat /tmp/out; kill $pid; exit 9; }; sleep 0.1; done; }",
            "n=0; until [ -S /tmp/api.sock ] || [ $n -gt 600 ]; do n=$((n+1)); sleep 0.1; done",
            $"{vireo} remote --api-socket /tmp/api.sock events >/tmp/events & epid=$!",
            "waitfor '@@edu-low@@'",
            $"n=0; while [ \"$(cat {status})\" != suspended ] && [ $n -lt 50 ]; do n=$((n+1)); sleep 0.1; done",
            $"echo \"l1-low: $(cat {status})\"",
            $"{vireo} remote --api-socket /tmp/api.sock devices --json | tr -d ' \\n' | grep -o '\"d_state\":\"[A-Za-z0-9]*\"' | sed 's/^/listed /'",
            // L1's own runtime resume of edu: vfio-pci signals the entry's wake eventfd.
            $"echo on > /sys/bus/pci/devices/$edu/power/control",
            "n=0; until grep -q '\"device-wake\".*\"cause\":\"device\"' /tmp/events || [ $n -gt 300 ]; do n=$((n+1)); sleep 0.1; done",
            "echo \"l1-woke: $(grep -c '\"device-wake\".*\"cause\":\"device\".*\"gpe\":\"raised\"' /tmp/events)\"",
            $"echo auto > /sys/bus/pci/devices/$edu/power/control",
            "waitfor '@@edu-used@@'",
            $"echo \"l1-after: $(cat {status})\"",
            "wait $pid; s=$?; sleep 0.5; kill $epid 2>/dev/null",
            "cat /tmp/out; sed 's/^/event: /' /tmp/events; exit $s");

        LabCommandResult result = await Run(command, TimeSpan.FromSeconds(300));

        Assert.Equal(0, result.ExitStatus);
        Assert.Contains("vireo: device 'edu': no PCI power management capability; the guest sees Vireo's at 0x", result.Output, StringComparison.Ordinal);
        Assert.Matches(@"guest-low state=D3cold rt=suspended suspends=1", result.Output);
        Assert.Contains("l1-low: suspended", result.Output, StringComparison.Ordinal);
        Assert.Contains("listed \"d_state\":\"D3cold\"", result.Output, StringComparison.Ordinal);
        Assert.Contains("(D0 and D3hot, wake from D3 through the slot's wake GPE)", result.Output, StringComparison.Ordinal);
        Assert.Matches("event: .*\"device-low-power\".*\"cause\":\"guest\".*\"wake\":\"armed\"", result.Output);
        // L1's runtime resume woke it, and the guest heard it as its wake GPE and resumed it.
        Assert.Contains("l1-woke: 1", result.Output, StringComparison.Ordinal);
        Assert.Matches(@"guest-woken resumes=[1-9]\d* wake-gpe=\s*[1-9]", result.Output);
        Assert.Matches("event: .*\"device-wake\".*\"cause\":\"guest\"", result.Output);
        Assert.Matches(@"guest-used rt=(active|suspended) resumes=[1-9]", result.Output);
        Assert.Contains("l1-after: ", result.Output, StringComparison.Ordinal);
        IReadOnlyList<EduCheckLine> lines = EduChecker.Parse(result.Output);
        Assert.Equal(EduChecker.Checks, lines.Select(l => l.Check));
        Assert.All(lines, l => Assert.True(l.Ok, $"{l.Check} failed: {l.Reason}\n{result.Output}"));
    }
}
