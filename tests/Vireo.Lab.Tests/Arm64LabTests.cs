using System.Text.Json;
using System.Text.RegularExpressions;

namespace Vireo.Lab.Tests;

/// <summary>The arm64 nested lab: QEMU TCG's virt machine with EL2 boots Debian's arm64 kernel
/// as L1 with its built-in KVM, and Vireo, cross-published as a NativeAOT linux-arm64 binary,
/// runs there against that /dev/kvm.</summary>
[Collection(Arm64LabCollection.Name)]
public sealed class Arm64LabTests(Arm64L1Fixture l1)
{
    [LabFact("qemu-system-aarch64")]
    public async Task The_arm64_L1_has_KVM_and_Vireos_arm64_build_reads_it()
    {
        Assert.True(l1.VireoPublishFailure is null, l1.VireoPublishFailure);
        LabCommandResult machine = await l1.Machine.RunAsync("uname -m; ls -l /dev/kvm; dmesg | grep -c 'kvm \\[1\\]: .*mode initialized successfully'");
        Assert.True(machine.Succeeded, machine.Output + "\n" + l1.Log);
        Assert.Equal("aarch64", machine.OutputLines[0]);
        Assert.StartsWith("crw", machine.OutputLines[1], StringComparison.Ordinal);
        Assert.Equal("1", machine.OutputLines[2]);

        LabCommandResult info = await l1.Machine.RunAsync($"{Arm64L1Fixture.VireoInL1} kvm-info --json");
        Assert.True(info.Succeeded, info.Output + "\n" + l1.Log);
        using JsonDocument json = JsonDocument.Parse(info.Output);
        Assert.Equal(12, json.RootElement.GetProperty("apiVersion").GetInt32());
        Assert.Equal("arm64", json.RootElement.GetProperty("backend").GetString());
        JsonElement capabilities = json.RootElement.GetProperty("capabilities");
        Assert.Equal(2, capabilities.GetProperty("nrVcpus").GetInt32());
        Assert.Equal(1, capabilities.GetProperty("armPsci02").GetInt32());
        // L1 is Debian's 6.12 kernel: the SMCCC filter SDEI needs (Linux 6.4) is there.
        Assert.Equal(1, capabilities.GetProperty("smcccFilter").GetInt32());
        Assert.True(json.RootElement.GetProperty("canBootStockGuests").GetBoolean());
    }

    /// <summary>The arm64 filters on a real arm64 kernel (seccomp under qemu-user would filter the
    /// emulator, so only this L1 can prove them): `confine-check` confines itself as `vireo run`
    /// does, its probes meet EPERM or pass per kind as on x86-64, no thread fails to narrow
    /// itself, and under kill every call the runtime and the allowed probes make is in the arm64
    /// lists (a gap would end the process with SIGSYS, status 159), the hook's shell included.</summary>
    [LabFact("qemu-system-aarch64")]
    public async Task Vireo_confines_itself_with_the_arm64_seccomp_filters()
    {
        Assert.True(l1.VireoPublishFailure is null, l1.VireoPublishFailure);
        string check = $"d=$(mktemp -d) && {Arm64L1Fixture.VireoInL1} confine-check --dir \"$d\"";

        LabCommandResult errno = await l1.Machine.RunAsync($"{check} 2>&1");
        Assert.True(errno.Succeeded, errno.Output + "\n" + l1.Log);
        foreach (string line in new[]
        {
            "early socket(AF_INET): EPERM", "main socket(AF_INET): EPERM", "main execve: EPERM", "main socket(AF_UNIX): ok",
            "vcpu socket(AF_UNIX): EPERM", "vcpu openat(O_CREAT): EPERM", "vcpu openat(O_RDONLY): ok", "vcpu ioctl(TIOCSTI): EPERM",
            "vcpu ioctl(KVM_GET_API_VERSION): ENOTTY", "vcpu eventfd2: ok", "vcpu thread: ok",
            "device socket(AF_UNIX): ok", "device openat(O_CREAT): EPERM", "device thread: ok",
            "control openat(O_CREAT): ok", "control execve: EPERM", "control thread: ok",
            "api vm.info: Running from vmm-control",
        })
        {
            Assert.Contains(line, errno.OutputLines);
        }
        Assert.DoesNotContain("could not narrow itself", errno.Output, StringComparison.Ordinal);

        LabCommandResult kill = await l1.Machine.RunAsync($"{check} --mode kill 2>&1; echo status=$?");
        Assert.Equal("status=0", kill.OutputLines[^1]);
        LabCommandResult hook = await l1.Machine.RunAsync($"{check} --mode kill --hook 2>&1; echo status=$?");
        Assert.Equal("status=0", hook.OutputLines[^1]);
        Assert.Contains("control hook: suspended 3", hook.OutputLines);
    }

    [LabFact("qemu-system-aarch64")]
    public async Task The_stock_arm64_kernel_boots_under_vireo_on_two_cpus_finds_its_sdei_takes_a_cpu_offline_and_back_and_powers_off_through_psci()
    {
        Assert.True(l1.VireoPublishFailure is null, l1.VireoPublishFailure);
        string[] words = [Arm64L1Fixture.VireoInL1, "run", "--kernel", Arm64L1Fixture.L2Kernel, "--initramfs", Arm64L1Fixture.L2Initramfs,
            "--memory", "512M", "--cpus", "2"];
        // The guest shell computes the reply, so seeing it proves the typed line reached the
        // shell through the UART and came back out.
        // Taking CPU 1 offline and back runs the guest's SDEI hotplug path (PE_MASK on the way
        // down, PE_UNMASK on the way up) and PSCI's CPU_OFF and CPU_ON.
        string command = L2Command.Build(words,
            "echo hello-$((6*7)); cat /proc/device-tree/compatible; echo; echo 0 > /sys/devices/system/cpu/cpu1/online; " +
            "echo offline-$(cat /sys/devices/system/cpu/online); echo 1 > /sys/devices/system/cpu/cpu1/online; " +
            "echo online-$(cat /sys/devices/system/cpu/online); dmesg | grep -i sdei; poweroff -f\n");
        LabCommandResult result = await l1.Machine.RunAsync(command, TimeSpan.FromMinutes(6));

        Assert.True(result.Output.Contains($"{GuestMarkers.Ready} cpus=2", StringComparison.Ordinal), result.Output + "\n" + l1.Log);
        Assert.Contains("hello-42", result.Output, StringComparison.Ordinal);
        Assert.Contains("offline-0", result.Output, StringComparison.Ordinal);
        Assert.Contains("online-0-1", result.Output, StringComparison.Ordinal);
        // The stock kernel's SDEI driver found Vireo's dispatcher (DEN0054 1.1, vendor 0) through
        // the device tree's /firmware/sdei node and the forwarded HVC calls, and none failed.
        Assert.Contains("sdei: SDEIv1.1 (0x0) detected in firmware.", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("sdei: Failed", result.Output, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("linux,dummy-virt", result.Output, StringComparison.Ordinal);
        Assert.Contains("psci: PSCIv", result.Output, StringComparison.Ordinal);
        Assert.Contains("GICv3", result.Output, StringComparison.Ordinal);
        Assert.Contains("reboot: Power down", result.Output, StringComparison.Ordinal);
        Assert.Equal(0, result.ExitStatus);
    }

    [LabFact("qemu-system-aarch64")]
    public async Task The_stock_arm64_kernel_finds_vireos_pci_host_bridge_and_runs_its_shell_on_a_virtio_console_over_intx_when_it_turns_msi_off()
    {
        Assert.True(l1.VireoPublishFailure is null, l1.VireoPublishFailure);
        // The same flags as on the PC. The no-modules guest: Debian's arm64 kernel has the generic
        // ECAM host driver, virtio-pci and virtio-console built in (virtio-rng is a module, so the
        // rng function is only enumerated and sized, not driven). pci=nomsi: the machine has an
        // ITS, and this guest declines it, so its functions fall back to INTx.
        string[] words = [Arm64L1Fixture.VireoInL1, "run", "--kernel", Arm64L1Fixture.L2Kernel, "--initramfs", Arm64L1Fixture.L2Initramfs,
            "--memory", "256M", "--console", "virtio", "--rng", "--append", "pci=nomsi"];
        string command = L2Command.Build(words,
            "echo tty=$(tty)\n" +
            "echo active=$(cat /sys/class/tty/console/active)\n" +
            "echo sum=$((6 * 7))\n" +
            "for d in /sys/bus/pci/devices/*; do echo \"pci $(basename $d) $(cat $d/vendor):$(cat $d/device) bar0=$(head -1 $d/resource | cut -d' ' -f1)\"; done\n" +
            "grep virtio /proc/interrupts\n" +
            "dmesg | grep -i ecam\n" +
            "poweroff -f\n");
        LabCommandResult result = await l1.Machine.RunAsync(command, TimeSpan.FromMinutes(6));
        string context = result.Output + "\n" + l1.Log;

        // drivers/pci/controller/pci-host-common.c found the device tree's bridge and its ECAM window.
        Assert.True(result.Output.Contains("ECAM at [mem 0x10000000-0x100fffff] for [bus 00]", StringComparison.Ordinal), context);
        // Both functions enumerated (virtio 1.x modern IDs: 0x1040 + device type), their first BAR
        // placed by the guest inside the bridge's memory windows.
        Match console = Regex.Match(result.Output, @"(?m)^pci 0000:00:0[1-9]\.0 0x1af4:0x1043 bar0=0x(?<bar>[0-9a-f]+)\r?$");
        Match rng = Regex.Match(result.Output, @"(?m)^pci 0000:00:0[1-9]\.0 0x1af4:0x1044 bar0=0x(?<bar>[0-9a-f]+)\r?$");
        Assert.True(console.Success && rng.Success, context);
        Assert.All(new[] { console, rng }, m =>
        {
            ulong bar = ulong.Parse(m.Groups["bar"].Value, System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(bar is >= 0x2000_0000 and < 0x4000_0000 || bar is >= 0x40_0000_0000 and < 0x48_0000_0000, $"BAR0 at 0x{bar:x} is outside the bridge's windows");
        });
        // The shell is on hvc0, typed input reached it, and the console interrupted through a
        // level-triggered GIC SPI of the bridge's interrupt-map (INTIDs 36-39), not MSI.
        Assert.Matches(@"(?m)^\s*tty=/dev/hvc0\r?$", result.Output);
        Assert.Matches(@"(?m)^\s*active=hvc0\r?$", result.Output);
        Assert.Matches(@"(?m)^\s*sum=42\r?$", result.Output);
        Match intx = Regex.Match(result.Output, @"(?m)^\s*\d+:\s+(?<count>\d+)(?:\s+\d+)*\s+GICv3\s+(?<intid>\d+)\s+Level\s+virtio\d+");
        Assert.True(intx.Success, "virtio's interrupt is not a level GIC line in /proc/interrupts:\n" + context);
        Assert.InRange(int.Parse(intx.Groups["intid"].Value, System.Globalization.CultureInfo.InvariantCulture), 36, 39);
        Assert.True(long.Parse(intx.Groups["count"].Value, System.Globalization.CultureInfo.InvariantCulture) > 0, intx.Value);
        // (The kernel's last words go to hvc0 as the machine powers off; vireo's own line is the proof.)
        LabAssert.PoweredOffConfined(result.Output);
        Assert.Equal(0, result.ExitStatus);
    }

    [LabFact("qemu-system-aarch64")]
    public async Task The_stock_arm64_kernel_reads_and_writes_virtio_disks_and_reads_virtio_rng_with_msix_through_the_its()
    {
        Assert.True(l1.VireoPublishFailure is null, l1.VireoPublishFailure);
        // The guest that loads the arm64 kernel's own virtio_blk and virtio-rng modules.
        const string readOnly = "/tmp/arm64-ro.raw";
        const string writable = "/tmp/arm64-rw.raw";
        string[] words = [Arm64L1Fixture.VireoInL1, "run", "--kernel", Arm64L1Fixture.L2Kernel, "--initramfs", Arm64L1Fixture.L2InitramfsWithModules,
            "--memory", "256M", "--disk", $"path={readOnly},readonly", "--disk", $"path={writable}", "--rng"];
        string guest = L2Command.Build(words,
            "echo hwrng=$(dd if=/dev/hwrng bs=16 count=1 2>/dev/null | od -An -tx1 | tr -d ' \\n')\n" +
            "echo disk-sha=$(sha256sum /dev/vda | cut -d' ' -f1)\n" +
            "echo ro-$(cat /sys/block/vda/ro)-rw-$(cat /sys/block/vdb/ro)\n" +
            "echo arm64-guest-wrote-this | dd of=/dev/vdb bs=512 seek=8 2>/dev/null; sync; echo synced\n" +
            "grep virtio /proc/interrupts\n" +
            "poweroff -f\n");
        LabCommandResult result = await l1.Machine.RunAsync(
            $"head -c 1048576 /dev/urandom > {readOnly} && truncate -s 1M {writable} && echo host-sha=$(sha256sum {readOnly} | cut -d' ' -f1) && ( {guest} ); s=$?; " +
            $"echo host-read=$(dd if={writable} bs=512 skip=8 count=1 2>/dev/null | head -c 23); rm -f {readOnly} {writable}; exit $s", TimeSpan.FromMinutes(6));
        string context = result.Output + "\n" + l1.Log;

        Assert.True(result.Output.Contains("modules=", StringComparison.Ordinal) && !result.Output.Contains("modules=0", StringComparison.Ordinal), context);
        Assert.Matches(@"(?m)^\s*hwrng=[0-9a-f]{32}\r?$", result.Output);
        // The whole read-only disk came through byte for byte, and the kernel knows it is read-only.
        Match host = Regex.Match(result.Output, @"(?m)^host-sha=(?<sha>[0-9a-f]{64})\r?$");
        Match disk = Regex.Match(result.Output, @"(?m)^\s*disk-sha=(?<sha>[0-9a-f]{64})\r?$");
        Assert.True(host.Success && disk.Success, context);
        Assert.Equal(host.Groups["sha"].Value, disk.Groups["sha"].Value);
        Assert.Matches(@"(?m)^\s*ro-1-rw-0\r?$", result.Output);
        // What the guest wrote and synced is in the host's file.
        Assert.Matches(@"(?m)^host-read=arm64-guest-wrote-this\r?$", result.Output);
        // Every virtio handler is an MSI-X vector the ITS translated (the kernel's per-device
        // ITS-PCI-MSIX domain: the msi-map gave it the function's requester ID), none is on a GIC
        // line, and each of the three functions' vectors fired.
        MatchCollection vectors = Regex.Matches(result.Output, @"(?m)^\s*\d+:\s+(?<count>\d+)\s+ITS-PCI-MSIX-(?<bdf>[0-9a-f:.]+)\s+\d+\s+Edge\s+virtio\d+-\S+");
        var fired = vectors.GroupBy(v => v.Groups["bdf"].Value)
            .ToDictionary(g => g.Key, g => g.Sum(v => long.Parse(v.Groups["count"].Value, System.Globalization.CultureInfo.InvariantCulture)));
        Assert.True(fired.Count == 3, "the three virtio functions' MSI-X vectors are not all in /proc/interrupts:\n" + context);
        Assert.All(fired, f => Assert.True(f.Value > 0, $"no vector of {f.Key} fired:\n{context}"));
        Assert.DoesNotMatch(@"(?m)GICv3\s+\d+\s+Level\s+virtio", result.Output);
        Assert.Contains("reboot: Power down", result.Output, StringComparison.Ordinal);
        LabAssert.PoweredOffConfined(result.Output);
        Assert.Equal(0, result.ExitStatus);
    }

    [LabFact("qemu-system-aarch64")]
    public async Task A_vsock_stream_goes_guest_to_host_and_host_to_guest_on_arm64()
    {
        Assert.True(l1.VireoPublishFailure is null, l1.VireoPublishFailure);
        Assert.True(l1.VsockToolFailure is null, l1.VsockToolFailure);
        const string Socket = "/tmp/arm64-vsock.sock";
        string tool = Arm64L1Fixture.VsockTool;
        string[] words = [Arm64L1Fixture.VireoInL1, "run", "--kernel", Arm64L1Fixture.L2Kernel, "--initramfs", Arm64L1Fixture.L2InitramfsWithVsockTool,
            "--memory", "256M", "--vsock", $"socket={Socket},cid=7"];
        // The PC's exchange (VsockExchange), with the tool built for arm64.
        string command = VsockExchange.L1Command(Socket, tool, L2Command.Build(words, VsockExchange.GuestInput));

        LabCommandResult result = await l1.Machine.RunAsync(command, TimeSpan.FromMinutes(6));
        VsockExchange.AssertExchanged(result, result.Output + "\n" + l1.Log);
    }

    /// <summary>`--vfio-user` on arm64, with the same flags and server as on the PC: the sample
    /// device server (vireo-device, built for linux-arm64) runs in L1 and the stock kernel
    /// enumerates its function on the ECAM bus. No arm64 guest driver exists for it, so the
    /// guest drives it from its shell with busybox devmem: BAR0's registers (each access a
    /// vfio-user region message to the server), and a DMA the server performs in guest RAM
    /// through the memfd Vireo shared with it (above mem=192M, where the kernel keeps nothing).</summary>
    [LabFact("qemu-system-aarch64")]
    public async Task A_vfio_user_device_served_in_l1_is_enumerated_and_copies_arm64_guest_ram_by_dma()
    {
        Assert.True(l1.VireoPublishFailure is null, l1.VireoPublishFailure);
        Assert.True(l1.DevicePublishFailure is null, l1.DevicePublishFailure);
        var device = new SampleDeviceInL1("arm0");
        string[] words = [Arm64L1Fixture.VireoInL1, "run", "--kernel", Arm64L1Fixture.L2Kernel, "--initramfs", Arm64L1Fixture.L2Initramfs,
            "--memory", "256M", "--append", "mem=192M", "--vfio-user", device.VireoRunOption];
        string script = L1RunScript.Build(words, SampleDeviceDevmemInput, [device], null, null);

        LabCommandResult result = await l1.Machine.RunAsync(script, TimeSpan.FromMinutes(6));
        string context = result.Output + "\n" + l1.Log;

        Assert.Contains($"{L1RunScript.DevicePrefix(device)}listening on {device.SocketPath}\n", result.Output, StringComparison.Ordinal);
        Match bar = Regex.Match(result.Output, @"(?m)^\s*dev=0000:00:0[1-9]\.0 bar=0x(?<bar>[0-9a-f]+)\r?$");
        Assert.True(bar.Success, context);
        ulong at = ulong.Parse(bar.Groups["bar"].Value, System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(at is >= 0x2000_0000 and < 0x4000_0000 || at is >= 0x40_0000_0000 and < 0x48_0000_0000, $"BAR0 at 0x{at:x} is outside the bridge's windows");
        // ID "VIRE", VERSION 1.0, and SCRATCH reads back what was written: the server answered.
        Assert.Matches(@"(?m)^\s*id=0x45524956 version=0x00010000 scratch=0x5A5AA5A5\r?$", result.Output);
        // The DMA finished without error, once, and the destination holds the source's words.
        Assert.Matches(@"(?m)^\s*status=0x0000000[13] completed=0x00000001\r?$", result.Output);
        Assert.Matches(@"(?m)^\s*copy=0x11223344,0x55667788,0x99AABBCC,0xDDEEFF00\r?$", result.Output);
        LabAssert.PoweredOffConfined(result.Output);
        Assert.Equal(0, result.ExitStatus);
    }

    // AcceleratorDevice's register map (BAR0): ID 0x00, STATUS 0x04 (bit 0 done), VERSION 0x0c,
    // DMA_SOURCE 0x10, DMA_DESTINATION 0x18, DMA_LENGTH 0x20, COMPLETED 0x28, SCRATCH 0x2c,
    // DMA_COMMAND 0x30 (0x10 starts; direction 0, memory to memory). RAM starts at 1 GiB, so
    // mem=192M leaves 0x4c000000 up to the guest's own devmem.
    private const string SampleDeviceDevmemInput =
        "d=$(grep -l 0x10f1 /sys/bus/pci/devices/*/device); d=${d%/device}; echo 1 > $d/enable\n" +
        "b=$(($(head -1 $d/resource | cut -d' ' -f1))); echo dev=${d##*/} bar=$(printf 0x%x $b)\n" +
        "devmem $((b+0x2c)) 32 0x5a5aa5a5; echo id=$(devmem $b 32) version=$(devmem $((b+0xc)) 32) scratch=$(devmem $((b+0x2c)) 32)\n" +
        "s=0x4c000000; t=0x4c001000; devmem $s 32 0x11223344; devmem $((s+4)) 32 0x55667788; devmem $((s+8)) 32 0x99aabbcc; devmem $((s+12)) 32 0xddeeff00\n" +
        "devmem $((b+0x10)) 32 $s; devmem $((b+0x14)) 32 0; devmem $((b+0x18)) 32 $t; devmem $((b+0x1c)) 32 0; devmem $((b+0x20)) 32 16; devmem $((b+0x30)) 32 0x10\n" +
        "i=0; while [ $(($(devmem $((b+4)) 32) & 1)) = 0 ] && [ $i -lt 100 ]; do i=$((i+1)); sleep 0.1; done\n" +
        "echo status=$(devmem $((b+4)) 32) completed=$(devmem $((b+0x28)) 32)\n" +
        "echo copy=$(devmem $t 32),$(devmem $((t+4)) 32),$(devmem $((t+8)) 32),$(devmem $((t+12)) 32)\n" +
        "poweroff -f\n";

    /// <summary>`--vfio` on arm64, with the same flags as on the PC: L1 is the virt machine with an
    /// SMMUv3 and QEMU's edu (<see cref="DeviceAssignmentInL1"/>), which L1 binds to vfio-pci at
    /// boot; Vireo opens its group, maps the guest's RAM for it through L1's SMMU and places its
    /// BAR on the guest's ECAM bus. The PC's edu checker, cross-built for the arm64 guest's
    /// kernel, passes every check (identification, liveness, factorial, DMA into arm64 guest RAM
    /// and back) with INTx (a level GIC SPI: the kernel's VFIO masks it when it fires, KVM's
    /// resample eventfd unmasks it at the guest's EOI) and with MSI (through the in-kernel ITS,
    /// the route carrying edu's requester ID), the same counts as on the PC.</summary>
    [LabFact("qemu-system-aarch64")]
    public async Task The_edu_checker_built_for_arm64_passes_with_intx_on_a_gic_spi_and_msi_through_the_its()
    {
        Assert.True(l1.VireoPublishFailure is null, l1.VireoPublishFailure);
        Assert.True(l1.GuestDriverFailure is null, l1.GuestDriverFailure);
        string address = await EduAddress();
        const int Interrupts = 4;
        string script = QemuAssignmentInL1.GuestScript(Interrupts, moduleArguments: "dma_bits=40");
        string[] words = [Arm64L1Fixture.VireoInL1, "run", "--kernel", Arm64L1Fixture.L2Kernel, "--initramfs", Arm64L1Fixture.L2InitramfsWithDrivers,
            "--memory", "256M", "--append", "quiet " + DefaultGuest.ScriptArgument(script), "--vfio", $"{address},id=edu"];

        LabCommandResult result = await l1.Machine.RunAsync(L2Command.Build(words, null), TimeSpan.FromMinutes(8));
        string context = result.Output + "\n" + l1.Log;

        Assert.True(result.Output.Contains($"vireo: device 'edu': {address}: vfio (group) via /dev/vfio/vfio", StringComparison.Ordinal), context);
        Assert.True(result.Output.Contains("=== edu done ===", StringComparison.Ordinal), context);
        EduAssignment.AssertCheckerPassedWithIntxAndMsi(result.Output, Interrupts);
        // arm64's interrupt chips: INTx on a level GIC SPI, MSI as an ITS vector.
        Assert.Matches(@"(?m)^\s*\d+:\s+\d+\s+GICv3\s+\d+\s+Level\s+vireo_edu\r?$", result.Output);
        Assert.Matches(@"(?m)^\s*\d+:\s+\d+\s+ITS-PCI-MSI-[0-9a-f:.]+\s+\d+\s+Edge\s+vireo_edu\r?$", result.Output);
        LabAssert.PoweredOffConfined(result.Output);
        Assert.Equal(0, result.ExitStatus);
    }

    /// <summary>A vfio-user device's MSI-X on arm64: the PC's sample driver, cross-built for the
    /// arm64 guest's kernel, runs DMA rounds with a completion interrupt each, first by MSI-X
    /// (ITS vectors whose routes carry the function's requester ID) and then by INTx (a GIC
    /// SPI, masked by the server when it fires and unmasked at the guest's EOI); every
    /// interrupt arrives exactly once.</summary>
    [LabFact("qemu-system-aarch64")]
    public async Task The_sample_driver_built_for_arm64_completes_dma_by_msix_through_the_its_and_by_intx()
    {
        Assert.True(l1.VireoPublishFailure is null, l1.VireoPublishFailure);
        Assert.True(l1.DevicePublishFailure is null, l1.DevicePublishFailure);
        Assert.True(l1.GuestDriverFailure is null, l1.GuestDriverFailure);
        var device = new SampleDeviceInL1("arm1");
        string dma = $"for d in /sys/bus/pci/drivers/vireo_sample/0000:*; do echo {{0}} > $d/run_dma; done; dmesg | grep 'vireo_sample .*: dma '; grep vireo_sample /proc/interrupts\n";
        string input = $"insmod {SampleDriver.GuestPath}\n" + string.Format(System.Globalization.CultureInfo.InvariantCulture, dma, 20) +
            $"rmmod vireo_sample; dmesg -c >/dev/null; insmod {SampleDriver.GuestPath} irq_mode=intx\n" + string.Format(System.Globalization.CultureInfo.InvariantCulture, dma, 10) +
            "poweroff -f\n";
        string[] words = [Arm64L1Fixture.VireoInL1, "run", "--kernel", Arm64L1Fixture.L2Kernel, "--initramfs", Arm64L1Fixture.L2InitramfsWithDrivers,
            "--memory", "256M", "--vfio-user", device.VireoRunOption];

        LabCommandResult result = await l1.Machine.RunAsync(L1RunScript.Build(words, input, [device], null, null), TimeSpan.FromMinutes(8));
        string text = result.Output.Replace("\r", "", StringComparison.Ordinal);
        string context = text + "\n" + l1.Log;

        foreach ((string mode, int rounds, string chip) in (ReadOnlySpan<(string, int, string)>)[("msix", 20, "ITS-PCI-MSIX-"), ("intx", 10, "GICv3")])
        {
            Match done = Regex.Match(text, $@"(?m)vireo_sample \S+: dma ok rounds=(?<rounds>\d+) irqs=(?<irqs>\d+) spurious=(?<spurious>\d+) completions=\d+ mode={mode}$");
            Assert.True(done.Success, $"no 'dma ok ... mode={mode}' line:\n{context}");
            Assert.Equal(rounds.ToString(System.Globalization.CultureInfo.InvariantCulture), done.Groups["rounds"].Value);
            Assert.Equal((2 * rounds).ToString(System.Globalization.CultureInfo.InvariantCulture), done.Groups["irqs"].Value);
            Assert.Equal("0", done.Groups["spurious"].Value);
            // The guest's own count for the vector or line: exactly two interrupts per round.
            Match line = Regex.Match(text, $@"(?m)^\s*\d+:\s+(?<count>\d+)\s+{Regex.Escape(chip)}\S*\s+\d+\s+(Edge|Level)\s+vireo_sample$");
            Assert.True(line.Success, $"no {chip} line for vireo_sample in /proc/interrupts:\n{context}");
            Assert.Equal((2 * rounds).ToString(System.Globalization.CultureInfo.InvariantCulture), line.Groups["count"].Value);
        }
        Assert.DoesNotContain("dma FAILED", text, StringComparison.Ordinal);
        LabAssert.PoweredOffConfined(result.Output);
        Assert.Equal(0, result.ExitStatus);
    }

    private async Task<string> EduAddress()
    {
        LabCommandResult bound = await l1.Machine.RunAsync(
            $"cat {DeviceAssignmentInL1.EduBindLog}; echo \"address=$(cat {DeviceAssignmentInL1.EduAddressFile})\"; " +
            $"echo \"driver=$(basename $(readlink {DeviceAssignmentInL1.EduLink}/driver))\"; ls /sys/class/iommu");
        string address = Regex.Match(bound.Output, @"(?m)^address=(?<a>0000:00:[0-9a-f]{2}\.0)\r?$").Groups["a"].Value;
        Assert.True(address.Length > 0, bound.Output + "\n" + l1.Log);
        Assert.Contains("driver=vfio-pci", bound.OutputLines);
        // The virt machine's SMMUv3, driven by arm-smmu-v3 (built into Debian's arm64 kernel).
        Assert.Matches(@"(?m)^smmu3\.0x[0-9a-f]+\r?$", bound.Output);
        return address;
    }

    [LabFact("qemu-system-aarch64")]
    public async Task The_stock_arm64_kernel_pings_the_host_tap_and_moves_a_file_each_way_over_tcp_byte_exact()
    {
        Assert.True(l1.VireoPublishFailure is null, l1.VireoPublishFailure);
        // The PC's exchange (NetExchange), with the guest that loads the arm64 kernel's virtio_net.
        string[] words = [Arm64L1Fixture.VireoInL1, "run", "--kernel", Arm64L1Fixture.L2Kernel, "--initramfs", Arm64L1Fixture.L2InitramfsWithModules,
            "--memory", "256M", "--net", NetExchange.NetOption("52:54:00:12:34:57", "arm64-net")];
        string command = NetExchange.L1Command(L2Command.Build(words, NetExchange.GuestInput));

        LabCommandResult result = await l1.Machine.RunAsync(command, TimeSpan.FromMinutes(6));
        NetExchange.AssertExchanged(result, "52:54:00:12:34:57", result.Output + "\n" + l1.Log);
    }

    /// <summary>The power button on arm64: the stock kernel probes the PL061 (built in) and
    /// gpio_keys (a module the default guest loads) binds the device tree's KEY_POWER to it; one
    /// SIGTERM presses the key, busybox acpid sees KEY_POWER through evdev and powers off, and
    /// vireo exits 0 for the guest's PSCI SYSTEM_OFF.</summary>
    [LabFact("qemu-system-aarch64")]
    public async Task Sigterm_presses_the_gpio_power_key_and_the_guest_powers_off_through_acpid()
    {
        Assert.True(l1.VireoPublishFailure is null, l1.VireoPublishFailure);
        string vireo = Arm64L1Fixture.VireoInL1;
        string guest = "dmesg | grep -E 'pl061|gpio-keys'; grep -A4 gpio-keys /proc/bus/input/devices; pidof acpid >/dev/null && echo acpid-is-running";
        // After the guest says acpid runs, one SIGTERM; a second only if it has not powered off
        // 30 s later, so a failure ends with the console in hand instead of hanging.
        string script = string.Join("\n",
            $"{vireo} run --kernel {Arm64L1Fixture.L2Kernel} --initramfs {Arm64L1Fixture.L2InitramfsWithModules} --memory 256M " +
            $"--append {DefaultGuest.ScriptArgument(guest)} </dev/null >/tmp/key-l2.log 2>&1 &",
            "pid=$!; for i in $(seq 1 600); do grep -q acpid-is-running /tmp/key-l2.log && break; sleep 0.5; done; sleep 1",
            "kill -TERM $pid; for i in $(seq 1 150); do kill -0 $pid 2>/dev/null || break; sleep 0.2; done",
            "kill -0 $pid 2>/dev/null && echo still-running-after-one-sigterm && kill -TERM $pid",
            "wait $pid; echo \"vireo-status=$?\"; cat /tmp/key-l2.log");
        LabCommandResult result = await l1.Machine.RunAsync(script, TimeSpan.FromMinutes(6));
        string context = result.Output + "\n" + l1.Log;

        Assert.True(result.Output.Contains("PL061 GPIO chip registered", StringComparison.Ordinal), context);
        Assert.Contains("input: gpio-keys as /devices/platform/gpio-keys/input/input", result.Output, StringComparison.Ordinal);
        Assert.Contains("N: Name=\"gpio-keys\"", result.Output, StringComparison.Ordinal);
        Assert.Contains("acpid-is-running", result.OutputLines);
        Assert.Contains("vireo: SIGTERM: pressing the guest's GPIO power key", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("still-running-after-one-sigterm", result.OutputLines);
        Assert.Contains("reboot: Power down", result.Output, StringComparison.Ordinal);
        LabAssert.PoweredOffConfined(result.Output);
        Assert.Contains("vireo-status=0", result.OutputLines);
    }

    [LabFact("qemu-system-aarch64")]
    public async Task The_host_signals_sdei_events_through_the_api_and_a_dropped_one_is_refused_by_name()
    {
        Assert.True(l1.VireoPublishFailure is null, l1.VireoPublishFailure);
        string vireo = Arm64L1Fixture.VireoInL1;
        // The guest idles in its /init script; the host signals event 0 on vCPU 0, which the stock
        // kernel has not registered (it has no SDEI consumer of its own), so the dispatcher drops
        // it and the API says so; a vCPU that does not exist is refused as invalid.
        string script = string.Join("\n",
            $"{vireo} run --kernel {Arm64L1Fixture.L2Kernel} --initramfs {Arm64L1Fixture.L2Initramfs} --memory 256M " +
            $"--api-socket /tmp/sdei.sock --append {DefaultGuest.ScriptArgument("sleep 600")} </dev/null >/tmp/sdei-l2.log 2>&1 &",
            "pid=$!; for i in $(seq 1 600); do grep -q 'sdei: SDEIv' /tmp/sdei-l2.log && grep -q '" + GuestMarkers.Ready + "' /tmp/sdei-l2.log && break; sleep 0.5; done",
            $"{vireo} remote --api-socket /tmp/sdei.sock sdei-signal 0 --cpu 0; echo \"unregistered-status=$?\"",
            $"{vireo} remote --api-socket /tmp/sdei.sock sdei-signal 0 --cpu 9; echo \"no-cpu-status=$?\"",
            $"{vireo} remote --api-socket /tmp/sdei.sock info",
            // The first SIGTERM presses the GPIO power key, which this module-free guest has no
            // driver for (gpio_keys is a module): it runs on until the second.
            "kill -TERM $pid; sleep 3; kill -0 $pid && echo still-running-after-one-sigterm; kill -TERM $pid",
            "wait $pid; echo \"vireo-status=$?\"; tail -6 /tmp/sdei-l2.log");
        LabCommandResult result = await l1.Machine.RunAsync(script, TimeSpan.FromMinutes(6));

        Assert.True(result.Output.Contains("unregistered-status=1", StringComparison.Ordinal), result.Output + "\n" + l1.Log);
        Assert.Contains("SDEI event 0 is not registered on vCPU 0", result.Output, StringComparison.Ordinal);
        Assert.Contains("no-cpu-status=1", result.Output, StringComparison.Ordinal);
        Assert.Contains("cannot be signalled there (InvalidParameters)", result.Output, StringComparison.Ordinal);
        // The refusals left the VM running. The first SIGTERM pressed the power key, which this
        // guest ignores, and said what stops it; the second stops it.
        Assert.Contains("\"running\"", result.Output, StringComparison.Ordinal);
        Assert.Contains("still-running-after-one-sigterm", result.OutputLines);
        Assert.Contains("vireo: SIGTERM: pressing the guest's GPIO power key (send SIGTERM again to stop it at once)", result.Output, StringComparison.Ordinal);
        Assert.Contains("vireo-status=", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("internal error", result.Output, StringComparison.Ordinal);
    }

    /// <summary>Seed 003's dispatcher end to end: the bare-metal guest (guest/sdei-conformance)
    /// registers private and shared events on two vCPUs and takes host-signalled and
    /// self-signalled ones on the right vCPU, with the registered argument and the interrupted
    /// context as DEN0054 says; a critical event preempts a running normal handler and holds a
    /// normal one back; COMPLETE_AND_RESUME, masking, disabling, unregister-while-running, the
    /// resets and every error code it can provoke are checked. The host answers each event the
    /// guest asks for through the API, as a user would.</summary>
    [LabFact("qemu-system-aarch64")]
    public async Task A_bare_metal_guest_takes_private_shared_host_and_self_signalled_sdei_events_as_den0054_says()
    {
        Assert.True(l1.VireoPublishFailure is null, l1.VireoPublishFailure);
        LabCommandResult result = await l1.Machine.RunAsync(
            SdeiConformanceGuest.L1Script(Arm64L1Fixture.VireoInL1, Arm64L1Fixture.SdeiGuest), TimeSpan.FromMinutes(8));
        SdeiConformanceReport report = SdeiConformanceReport.Parse(result.Output);
        string context = result.Output + "\n" + l1.Log;

        AssertEveryCheckPassed(report, SdeiConformanceGuest.CheckCount, context);
        Assert.Equal(10, report.Requested.Count);
        Assert.Contains("vireo-status=0", result.OutputLines);

        // vm.events showed each signal with who raised it: the API's ten, every one taken by a
        // handler, and the UART's interrupt while the guest had it bound.
        var signals = new List<(string Event, string Source, string Result)>();
        foreach (string line in report.VmEvents)
        {
            using JsonDocument e = JsonDocument.Parse(line);
            if (e.RootElement.GetProperty("event").GetString() == "sdei-signal")
            {
                JsonElement p = e.RootElement.GetProperty("properties");
                signals.Add((p.GetProperty("event").GetString()!, p.GetProperty("source").GetString()!, p.GetProperty("result").GetString()!));
            }
        }
        Assert.Equal(report.Requested.Select(r => (r.Split(' ')[0], "api", "taken")), signals.Where(s => s.Source == "api"));
        Assert.Equal([("1073741857", "interrupt 33", "taken")], signals.Where(s => s.Source != "api"));
    }

    /// <summary>A bare-metal SDEI guest's run passed: a summary with every check it makes
    /// (<paramref name="checks"/>, counted from its source) passed, none failed or fatal, and
    /// every event it asked the host for was signalled through the API, in order.</summary>
    private static void AssertEveryCheckPassed(SdeiConformanceReport report, int checks, string context)
    {
        Assert.True(report.Summary is not null, "the guest printed no summary:\n" + context);
        Assert.True(report.Fatal.Count == 0 && report.Failed.Count == 0, context);
        (int passed, int failed, int total) = report.Summary.Value;
        Assert.Equal(0, failed);
        Assert.Equal(total, passed);
        Assert.Equal(report.Passed.Count, passed);
        Assert.True(passed == checks, $"{passed} of the guest's {checks} checks ran:\n{context}");
        Assert.Equal(report.Requested, report.Answered.Select(a => a.Signal));
        Assert.All(report.Answered, a => Assert.Equal(0, a.Status));
    }

    /// <summary>Issue 16's snapshot: the bare-metal snapshot guest (guest/sdei-conformance/
    /// sdei-snapshot.c) has Vireo snapshot it twice, each time into a new vireo process
    /// (<c>vireo remote snapshot</c>, then <c>vireo run --restore</c>): once with event 100
    /// registered, enabled and pending on a masked PE — restored, it is still held back, and
    /// unmasking delivers it exactly once — and once inside a running critical handler — restored,
    /// the handler is still running with the interrupted registers, and COMPLETE resumes the
    /// interrupted loop. vCPU 1, started before both snapshots, still takes its events. Each
    /// check after a restore ran in the new process: only it sent the byte the guest waits for.</summary>
    [LabFact("qemu-system-aarch64")]
    public async Task A_guest_snapshotted_with_sdei_events_pending_masked_and_running_continues_in_a_new_vireo_process()
    {
        Assert.True(l1.VireoPublishFailure is null, l1.VireoPublishFailure);
        LabCommandResult result = await l1.Machine.RunAsync(
            SdeiConformanceGuest.SnapshotL1Script(Arm64L1Fixture.VireoInL1, Arm64L1Fixture.SdeiSnapshotGuest), TimeSpan.FromMinutes(8));
        SdeiConformanceReport report = SdeiConformanceReport.Parse(result.Output);
        string context = result.Output + "\n" + l1.Log;

        AssertEveryCheckPassed(report, SdeiConformanceGuest.SnapshotCheckCount, context);
        // Two generations replaced, each paused and snapshotted; the last vireo ended with the
        // guest's own power-off.
        foreach (int generation in (int[])[0, 1])
        {
            Assert.True(result.OutputLines.Contains($"host-pause {generation} status=0"), context);
            Assert.True(result.OutputLines.Contains($"host-snapshot {generation} status=0"), context);
        }
        Assert.Contains("vireo-status=0", result.OutputLines);
        Assert.DoesNotContain("host-snapshot 2", result.Output, StringComparison.Ordinal);
        // The RAM image is the machine's 64 MiB, written sparse: the bare-metal guest touches little.
        string image = result.OutputLines.First(l => l.StartsWith("snapshot-0 ", StringComparison.Ordinal));
        Assert.Contains("bytes=67108864", image, StringComparison.Ordinal);
        int allocated = int.Parse(image[(image.IndexOf("allocated-kib=", StringComparison.Ordinal) + "allocated-kib=".Length)..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(allocated < 16 * 1024, $"the 64 MiB RAM image has {allocated} KiB allocated:\n{context}");
    }

    /// <summary>A stock arm64 Linux guest snapshotted at its shell, with vCPU 1 powered off
    /// through PSCI, and restored in a new vireo process: what the guest does after the restore
    /// needs every piece of the restored state — the UART's receive interrupt through the GIC to
    /// wake the blocked <c>read</c>, the timer for <c>sleep</c>, the stopped vCPU brought back
    /// with PSCI CPU_ON (and SDEI's PE unmask) — and console input goes only to the new process,
    /// so the reply proves the old guest continued there. Then the restored guest reboots and the
    /// new process boots the snapshot's kernel afresh (<c>--on-reboot restart</c>).</summary>
    [LabFact("qemu-system-aarch64")]
    public async Task The_stock_arm64_kernel_snapshotted_at_its_shell_continues_in_a_new_vireo_process_and_reboots_there()
    {
        Assert.True(l1.VireoPublishFailure is null, l1.VireoPublishFailure);
        string vireo = Arm64L1Fixture.VireoInL1;
        string guest = "echo 0 > /sys/devices/system/cpu/cpu1/online; echo offline-$(cat /sys/devices/system/cpu/online); " +
            "echo waiting-for-input; read line; echo \"restored-$line-$((6*7))\"; sleep 1; echo slept; " +
            "echo 1 > /sys/devices/system/cpu/cpu1/online; echo online-$(cat /sys/devices/system/cpu/online); " +
            "if [ \"$line\" = hello ]; then reboot -f; else poweroff -f; fi";
        string script = string.Join("\n",
            "d=/tmp/linux-snapshot; rm -rf $d; mkdir -p $d; mkfifo $d/in.0 $d/in.1",
            $"{vireo} run --kernel {Arm64L1Fixture.L2Kernel} --initramfs {Arm64L1Fixture.L2Initramfs} --memory 256M --cpus 2 " +
            $"--api-socket $d/api.0 --append {DefaultGuest.ScriptArgument(guest)} <$d/in.0 >$d/console.0 2>&1 &",
            "pid=$!; exec 3>$d/in.0",
            "for i in $(seq 1 1200); do grep -q '^waiting-for-input' $d/console.0 && break; sleep 0.5; done",
            $"{vireo} remote --api-socket $d/api.0 pause; echo \"host-pause status=$?\"",
            $"{vireo} remote --api-socket $d/api.0 snapshot $d/snap; echo \"host-snapshot status=$?\"",
            $"{vireo} remote --api-socket $d/api.0 shutdown --force; wait $pid; echo \"vireo-0-status=$?\"; exec 3>&-",
            "echo \"snapshot bytes=$(stat -c %s $d/snap/memory) allocated-kib=$(du -k $d/snap/memory | cut -f1)\"",
            $"{vireo} run --restore $d/snap --on-reboot restart --api-socket $d/api.1 <$d/in.1 >$d/console.1 2>&1 &",
            "pid=$!; exec 3>$d/in.1; printf 'hello\\n' >&3",
            // After the reboot the guest's script runs again from the top and waits for a line.
            "for i in $(seq 1 1200); do [ $(grep -c '^waiting-for-input' $d/console.1) -ge 1 ] && break; kill -0 $pid 2>/dev/null || break; sleep 0.5; done",
            "printf 'again\\n' >&3",
            "wait $pid; echo \"vireo-1-status=$?\"; exec 3>&-",
            "echo '=== console 0'; cat $d/console.0; echo '=== console 1'; cat $d/console.1");
        LabCommandResult result = await l1.Machine.RunAsync(script, TimeSpan.FromMinutes(10));
        string context = result.Output + "\n" + l1.Log;

        Assert.True(result.OutputLines.Contains("host-snapshot status=0"), context);
        Assert.Contains("host-pause status=0", result.OutputLines);
        int restored = result.Output.IndexOf("=== console 1", StringComparison.Ordinal);
        Assert.True(restored > 0, context);
        string before = result.Output[..restored];
        string after = result.Output[restored..];
        Assert.Contains("offline-0", before, StringComparison.Ordinal);
        Assert.DoesNotContain("restored-", before, StringComparison.Ordinal);
        // The restored guest: no boot, the line typed into the new process, its timer, vCPU 1 back.
        int reboot = after.IndexOf("Booting Linux", StringComparison.Ordinal);
        Assert.True(reboot > 0, "the restored guest did not reboot into a fresh kernel:\n" + context);
        string continued = after[..reboot];
        Assert.True(continued.Contains("restored-hello-42", StringComparison.Ordinal), context);
        Assert.Contains("slept", continued, StringComparison.Ordinal);
        Assert.Contains("online-0-1", continued, StringComparison.Ordinal);
        Assert.DoesNotContain("waiting-for-input", continued, StringComparison.Ordinal);
        // The reboot booted the snapshot's kernel and initramfs with its script, in the same process.
        string rebooted = after[reboot..];
        Assert.Contains("restored-again-42", rebooted, StringComparison.Ordinal);
        Assert.Contains("reboot: Power down", rebooted, StringComparison.Ordinal);
        Assert.Contains("vireo-1-status=0", result.OutputLines);
        Assert.Contains("bytes=268435456", result.Output, StringComparison.Ordinal);
    }

    /// <summary>A stock arm64 Linux guest on a virtio console, with a virtio disk and a virtio-rng,
    /// all on MSI-X through the ITS, snapshotted at its shell while a loop reads the disk past its
    /// page cache, and restored in a new vireo process with the same devices. The line typed into
    /// the new process reaches the shell through the console's receive buffers posted before the
    /// snapshot; the loop goes on (a request lost in the snapshot would hang it); the guest reads
    /// the disk and the rng and writes the disk, the host reading both writes. Each needs the
    /// restored transports (queues at their saved positions), the replayed PCI state (BARs where
    /// they were, with their doorbells, the MSI-X tables and their routes) and the restored ITS
    /// (its tables, the redistributors' LPI configuration). A restore with another set of devices
    /// is refused before anything runs.</summary>
    [LabFact("qemu-system-aarch64")]
    public async Task The_stock_arm64_kernel_with_virtio_disk_and_rng_on_msix_continues_in_a_new_vireo_process()
    {
        Assert.True(l1.VireoPublishFailure is null, l1.VireoPublishFailure);
        string vireo = Arm64L1Fixture.VireoInL1;
        // Every write to drop_caches logs "sh (PID): drop_caches: 3" to the console (hvc0) unless
        // bit 4 was written once (Documentation/admin-guide/sysctl/vm.rst); the loop's lines would
        // land inside this script's, so it is silenced before the loop starts.
        string guest = "echo 4 > /proc/sys/vm/drop_caches; " +
            "echo before-snapshot | dd of=/dev/vda bs=512 seek=8 conv=fsync 2>/dev/null; echo wrote-$?; " +
            "( i=0; while :; do echo 3 > /proc/sys/vm/drop_caches; dd if=/dev/vda of=/dev/null bs=4k 2>/dev/null; i=$((i+1)); echo $i > /tmp/reads; done ) & loop=$!; sleep 1; " +
            "grep -c ITS-PCI-MSIX /proc/interrupts | sed 's/^/its-vectors-/'; " +
            "echo waiting-for-input; read line; " +
            // The loop must go on; how long a pass takes depends on the host's load, so it gets
            // 30 s, and the block layer's in-flight count tells a lost request from a slow one.
            "a=$(cat /tmp/reads); for j in $(seq 1 30); do sleep 1; b=$(cat /tmp/reads); [ \"$b\" -gt \"$a\" ] && break; done; " +
            "echo \"reads a=$a b=$b after ${j}s inflight=$(cat /sys/block/vda/inflight)\"; [ \"$b\" -gt \"$a\" ] && echo reads-continued; kill $loop; " +
            "echo 3 > /proc/sys/vm/drop_caches; " +
            "echo \"restored-$line-$(dd if=/dev/vda bs=512 skip=8 count=1 2>/dev/null | head -c 15)\"; " +
            "echo hwrng=$(dd if=/dev/hwrng bs=16 count=1 2>/dev/null | od -An -tx1 | tr -d ' \\n'); " +
            "echo after-restore | dd of=/dev/vda bs=512 seek=16 conv=fsync 2>/dev/null; echo wrote-again-$?; " +
            "grep virtio /proc/interrupts; poweroff -f";
        string devices = "--disk path=$d/disk.raw --rng --console virtio";
        string script = string.Join("\n",
            "d=/tmp/pci-snapshot; rm -rf $d; mkdir -p $d; mkfifo $d/in.0 $d/in.1; truncate -s 1M $d/disk.raw",
            $"{vireo} run --kernel {Arm64L1Fixture.L2Kernel} --initramfs {Arm64L1Fixture.L2InitramfsWithModules} --memory 256M --cpus 2 {devices} " +
            $"--api-socket $d/api.0 --append {DefaultGuest.ScriptArgument(guest)} <$d/in.0 >$d/console.0 2>&1 &",
            "pid=$!; exec 3>$d/in.0",
            // Every wait is bounded, so a failure ends with both consoles in hand.
            "for i in $(seq 1 400); do grep -q '^waiting-for-input' $d/console.0 && break; kill -0 $pid 2>/dev/null || break; sleep 0.5; done; echo booted-$i",
            $"timeout 60 {vireo} remote --api-socket $d/api.0 pause; echo \"host-pause status=$?\"",
            $"timeout 90 {vireo} remote --api-socket $d/api.0 snapshot $d/snap; echo \"host-snapshot status=$?\"",
            $"timeout 30 {vireo} remote --api-socket $d/api.0 shutdown --force; sleep 1; kill -KILL $pid 2>/dev/null; wait $pid; echo \"vireo-0-status=$?\"; exec 3>&-",
            "grep -o '\"pci\"' $d/snap/vm.json | head -1; grep -c '\"transport\"' $d/snap/vm.json | sed 's/^/snapshot-functions-/'",
            // Devices that differ from the snapshot's are refused before anything runs.
            $"timeout 60 {vireo} run --restore $d/snap --disk path=$d/disk.raw </dev/null >$d/refused 2>&1; echo \"refused-status=$?\"; cat $d/refused",
            $"{vireo} run --restore $d/snap {devices} --api-socket $d/api.1 <$d/in.1 >$d/console.1 2>&1 &",
            "pid=$!; exec 3>$d/in.1; printf 'hello\\n' >&3",
            "for i in $(seq 1 300); do kill -0 $pid 2>/dev/null || break; sleep 0.5; done; kill -0 $pid 2>/dev/null && echo restored-vireo-still-running && kill -KILL $pid",
            "wait $pid; echo \"vireo-1-status=$?\"; exec 3>&-",
            "echo host-read-8=$(dd if=$d/disk.raw bs=512 skip=8 count=1 2>/dev/null | head -c 15)",
            "echo host-read-16=$(dd if=$d/disk.raw bs=512 skip=16 count=1 2>/dev/null | head -c 13)",
            "echo '=== console 0'; cat $d/console.0; echo '=== console 1'; cat $d/console.1");
        LabCommandResult result = await l1.Machine.RunAsync(script, TimeSpan.FromMinutes(10));
        string context = result.Output + "\n" + l1.Log;

        LabAssert.WithContext(context, () =>
        {
            Assert.Contains("host-snapshot status=0", result.OutputLines);
            Assert.Contains("snapshot-functions-3", result.OutputLines);
            Assert.Contains("refused-status=1", result.OutputLines);
            Assert.Contains("the snapshot's machine has PCI device 'rng0'", result.Output, StringComparison.Ordinal);
            int restored = result.Output.IndexOf("=== console 1", StringComparison.Ordinal);
            Assert.True(restored > 0, "no second console");
            string before = result.Output[..restored];
            string after = result.Output[restored..];
            Assert.Contains("wrote-0", before, StringComparison.Ordinal);
            Assert.Matches(@"(?m)^its-vectors-[1-9]", before);
            Assert.DoesNotContain("restored-", before, StringComparison.Ordinal);
            Assert.DoesNotContain("Booting Linux", after, StringComparison.Ordinal);
            // The disk read past the page cache, the rng, the write: each through the restored device.
            Assert.Contains("restored-hello-before-snapshot", after, StringComparison.Ordinal);
            Assert.Contains("reads-continued", after, StringComparison.Ordinal);
            Assert.Matches(@"(?m)^\s*hwrng=[0-9a-f]{32}\r?$", after);
            Assert.Contains("wrote-again-0", after, StringComparison.Ordinal);
            Assert.Contains("host-read-8=before-snapshot", result.OutputLines);
            Assert.Contains("host-read-16=after-restore", result.OutputLines);
            // Still MSI-X through the ITS, not INTx, in the restored guest.
            Assert.Matches(@"(?m)^\s*\d+:\s+.*ITS-PCI-MSIX-\S+\s+\d+\s+Edge\s+virtio\d+-\S+", after);
            Assert.DoesNotMatch(@"(?m)GICv3\s+\d+\s+Level\s+virtio", after);
            // (The kernel's last words go to hvc0 as the machine powers off; vireo's own line is the proof.)
            LabAssert.PoweredOffConfined(after);
            Assert.Contains("vireo-1-status=0", result.OutputLines);
        });
    }
}
