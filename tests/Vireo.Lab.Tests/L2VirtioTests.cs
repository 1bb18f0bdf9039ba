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
        LabAssert.PoweredOffConfined(result.Output);
        Assert.Equal(0, result.ExitStatus);
    }

    [LabFact("qemu-system-x86_64", "busybox", "cpio", "mkfs.ext4", "debugfs")]
    public async Task The_stock_kernel_writes_an_ext4_disk_that_survives_a_forced_power_off_byte_exact_and_a_readonly_disk_refuses_writes()
    {
        Assert.True(lab.VireoPublishFailure is null, lab.VireoPublishFailure);
        using var temp = new TempDirectory();
        string image = temp.Combine("disk.raw");
        using (FileStream file = File.Create(image))
        {
            file.SetLength(16 << 20);
        }
        // No journal: what the guest synced is in place, so debugfs reads it without a replay.
        Tool.Run("PATH=\"$PATH:/usr/sbin:/sbin\" mkfs.ext4", $"-q -F -O ^has_journal '{image}'");
        LabCommandResult copy = await lab.Machine.RunAsync(
            $"echo {Convert.ToBase64String(Gzip(File.ReadAllBytes(image)))} | base64 -d | gunzip > {DiskInL1} && ls -l {DiskInL1}", s_l2Timeout);
        Assert.True(copy.ExitStatus == 0, copy.Output);

        // 1. Write, sync, and power off without unmounting: only the flush makes it durable. The
        // disk's I/O runs in its io_uring (the default; L1's stock kernel allows it).
        string[] write = [L1Fixture.VireoInL1, "run", "--kernel", L1Fixture.L2Kernel, "--initramfs", L1Fixture.L2Initramfs, "--memory", "256M",
            "--disk", $"path={DiskInL1},id=lab-disk"];
        LabCommandResult written = await lab.Machine.RunAsync(L2Command.Build(write,
            "mkdir -p /mnt; mount -t ext4 /dev/vda /mnt && echo mounted-rw\n" +
            "echo serial=$(cat /sys/block/vda/serial)\n" +
            "head -c 6000 /dev/urandom > /mnt/payload\n" +
            "echo guest-sha=$(sha256sum /mnt/payload | cut -d' ' -f1)\n" +
            "sync && echo synced\n" +
            "poweroff -f\n"), s_l2Timeout);
        output.WriteLine($"write: status {written.ExitStatus} in {written.Elapsed.TotalSeconds:0.0} s\n{written.Output}");
        Assert.Contains("mounted-rw", written.Output, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^\s*serial=lab-disk\r?$", written.Output);
        Assert.Contains("synced", written.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("refuses io_uring", written.Output, StringComparison.Ordinal);
        string guestSha = Regex.Match(written.Output, @"(?m)^\s*guest-sha=(?<sha>[0-9a-f]{64})\r?$").Groups["sha"].Value;
        Assert.Equal(64, guestSha.Length);
        Assert.Equal(0, written.ExitStatus);

        // 2. The same image read-only, its reads on the thread pool (whose threads start on the
        // confined queue worker): the file is there, and the disk refuses a raw write.
        string[] readOnly = [L1Fixture.VireoInL1, "run", "--kernel", L1Fixture.L2Kernel, "--initramfs", L1Fixture.L2Initramfs, "--memory", "256M",
            "--disk", $"path={DiskInL1},readonly,io=threads"];
        LabCommandResult read = await lab.Machine.RunAsync(L2Command.Build(readOnly,
            "echo ro=$(cat /sys/block/vda/ro)\n" +
            "mkdir -p /mnt; mount -t ext4 -o ro /dev/vda /mnt && echo mounted-ro\n" +
            "echo reread-sha=$(sha256sum /mnt/payload | cut -d' ' -f1)\n" +
            "umount /mnt\n" +
            "dd if=/dev/zero of=/dev/vda bs=4096 count=1 oflag=direct 2>/tmp/dd.err; echo raw-write-status=$?; cat /tmp/dd.err\n" +
            "poweroff -f\n"), s_l2Timeout);
        output.WriteLine($"read-only: status {read.ExitStatus} in {read.Elapsed.TotalSeconds:0.0} s\n{read.Output}");
        Assert.Matches(@"(?m)^\s*ro=1\r?$", read.Output);
        Assert.Contains("mounted-ro", read.Output, StringComparison.Ordinal);
        Assert.Matches($@"(?m)^\s*reread-sha={guestSha}\r?$", read.Output);
        // A raw write to the read-only disk (VIRTIO_BLK_F_RO) fails and writes nothing.
        Assert.Matches(@"(?m)^\s*raw-write-status=[1-9]\d*\r?$", read.Output);
        Assert.Matches(@"(?m)^\s*0\+0 records out\r?$", read.Output);
        Assert.Equal(0, read.ExitStatus);

        // 3. Back on this host: e2fsprogs reads the payload out of the image, byte for byte.
        LabCommandResult dump = await lab.Machine.RunAsync($"echo {DumpBegin}; gzip -c {DiskInL1} | base64; echo {DumpEnd}", s_l2Timeout);
        Assert.True(dump.ExitStatus == 0, dump.Output);
        string body = dump.Output[(dump.Output.LastIndexOf(DumpBegin, StringComparison.Ordinal) + DumpBegin.Length)..dump.Output.LastIndexOf(DumpEnd, StringComparison.Ordinal)];
        string base64 = string.Concat(body.Split('\n').Select(l => l.Trim()).Where(l => Base64Line().IsMatch(l)));
        File.WriteAllBytes(image, Gunzip(Convert.FromBase64String(base64)));
        string payload = temp.Combine("payload");
        Tool.Run("PATH=\"$PATH:/usr/sbin:/sbin\" debugfs", $"-R 'dump /payload {payload}' '{image}'");
        Assert.Equal(6000, new FileInfo(payload).Length);
        Assert.Equal(guestSha, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(payload))));
    }

    [LabFact("qemu-system-x86_64", "busybox", "cpio")]
    public async Task The_stock_kernel_runs_the_console_shell_on_hvc0_from_virtio_console_with_typed_input()
    {
        Assert.True(lab.VireoPublishFailure is null, lab.VireoPublishFailure);
        string[] words = [L1Fixture.VireoInL1, "run", "--kernel", L1Fixture.L2Kernel, "--initramfs", L1Fixture.L2Initramfs, "--memory", "256M", "--console", "virtio"];
        string command = L2Command.Build(words,
            "echo tty=$(tty)\n" +
            "echo active=$(cat /sys/class/tty/console/active)\n" +
            "echo cmdline=$(cat /proc/cmdline)\n" +
            "echo size=$(stty size)\n" +
            "echo sum=$((6 * 7))\n" +
            "grep virtio /proc/interrupts\n" +
            "poweroff -f\n");

        LabCommandResult result = await lab.Machine.RunAsync(command, s_l2Timeout);
        output.WriteLine($"status {result.ExitStatus} in {result.Elapsed.TotalSeconds:0.0} s\n{result.Output}");

        // The shell the default guest starts on the console is on hvc0, and the kernel's console is hvc0 alone.
        Assert.Matches(@"(?m)^\s*tty=/dev/hvc0\r?$", result.Output);
        Assert.Matches(@"(?m)^\s*active=hvc0\r?$", result.Output);
        Assert.Matches(@"(?m)^\s*cmdline=console=hvc0 ", result.Output);
        // hvc0 has the console's size (80 by 25: vireo's output is no terminal here), announced at DRIVER_OK.
        Assert.Matches(@"(?m)^\s*size=25 80\r?$", result.Output);
        // What was typed reached that shell: only hvc0 has a reader.
        Assert.Matches(@"(?m)^\s*sum=42\r?$", result.Output);
        // Typed input arrived through the receive queue's MSI-X vector ("virtio0-input").
        Match input = QueueInterrupts().Match(result.Output);
        Assert.True(input.Success, "no MSI-X vector for the console's receive queue in /proc/interrupts");
        Assert.True(long.Parse(input.Groups["count"].Value, System.Globalization.CultureInfo.InvariantCulture) > 0,
            $"the console's receive vector never fired: {input.Value}");
        LabAssert.PoweredOffConfined(result.Output);
        Assert.Equal(0, result.ExitStatus);
    }

    [LabFact("qemu-system-x86_64", "busybox", "cpio")]
    public async Task The_stock_kernel_pings_the_host_tap_and_moves_a_file_each_way_over_tcp_byte_exact()
    {
        Assert.True(lab.VireoPublishFailure is null, lab.VireoPublishFailure);
        string[] words = [L1Fixture.VireoInL1, "run", "--kernel", L1Fixture.L2Kernel, "--initramfs", L1Fixture.L2Initramfs, "--memory", "256M",
            "--net", NetExchange.NetOption("52:54:00:12:34:56", "lab-net")];
        string command = NetExchange.L1Command(L2Command.Build(words, NetExchange.GuestInput));

        LabCommandResult result = await lab.Machine.RunAsync(command, s_l2Timeout);
        output.WriteLine($"status {result.ExitStatus} in {result.Elapsed.TotalSeconds:0.0} s\n{result.Output}");

        NetExchange.AssertExchanged(result, "52:54:00:12:34:56", result.Output);
    }

    [LabFact("qemu-system-x86_64", "busybox", "cpio", "gcc")]
    public async Task A_vsock_stream_goes_guest_to_host_and_host_to_guest_through_the_unix_socket_bridge()
    {
        Assert.True(lab.VireoPublishFailure is null, lab.VireoPublishFailure);
        // busybox speaks neither AF_VSOCK nor UNIX sockets: a small static tool does, on both sides.
        using var temp = new TempDirectory();
        string tool = temp.Combine("vsock-tool");
        Tool.Run("gcc", $"-static -Os -s -o '{tool}' '{Path.Combine(L1Fixture.RepositoryRoot(), "tests", "Vireo.Lab.Tests", "Assets", "vsock-tool.c")}'");
        // It goes into L1 as a second initramfs archive, which the kernel unpacks over the first.
        byte[] archive;
        using (var packed = new MemoryStream())
        {
            using (var gzip = new System.IO.Compression.GZipStream(packed, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true))
            using (var cpio = new CpioWriter(gzip, leaveOpen: true))
            {
                cpio.AddFile("bin/vsock-tool", File.ReadAllBytes(tool), 0x1ED);
                cpio.Finish();
            }
            archive = packed.ToArray();
        }
        LabCommandResult copy = await lab.Machine.RunAsync(
            $"echo {Convert.ToBase64String(archive)} | base64 -d > {ToolArchiveInL1} && " +
            $"cat {L1Fixture.L2Initramfs} {ToolArchiveInL1} > {VsockInitramfsInL1} && ls -l {VsockInitramfsInL1}", s_l2Timeout);
        Assert.True(copy.ExitStatus == 0, $"status {copy.ExitStatus}: {copy.Output}");
        LabCommandResult binary = await lab.Machine.RunAsync(
            $"echo {Convert.ToBase64String(Gzip(File.ReadAllBytes(tool)))} | base64 -d | gunzip > {ToolInL1} && chmod +x {ToolInL1}; {ToolInL1}; echo usage-status=$?", s_l2Timeout);
        Assert.Contains("usage: vsock-tool", binary.Output, StringComparison.Ordinal);

        const string Socket = "/tmp/lab-vsock.sock";
        string[] words = [L1Fixture.VireoInL1, "run", "--kernel", L1Fixture.L2Kernel, "--initramfs", VsockInitramfsInL1, "--memory", "256M",
            "--vsock", $"socket={Socket},cid=7"];
        string command = VsockExchange.L1Command(Socket, ToolInL1, L2Command.Build(words, VsockExchange.GuestInput));

        LabCommandResult result = await lab.Machine.RunAsync(command, s_l2Timeout);
        output.WriteLine($"status {result.ExitStatus} in {result.Elapsed.TotalSeconds:0.0} s\n{result.Output}");

        VsockExchange.AssertExchanged(result, result.Output);
    }

    [LabFact("qemu-system-x86_64", "busybox", "cpio")]
    public async Task With_msi_disabled_the_stock_kernel_drives_virtio_over_intx()
    {
        Assert.True(lab.VireoPublishFailure is null, lab.VireoPublishFailure);
        // pci=nomsi: virtio_pci falls back to INTA# (vp_request_intx, one shared "virtio<N>"
        // handler that reads the ISR), routed through the bus's _PRT to an IOAPIC pin.
        string[] words = [L1Fixture.VireoInL1, "run", "--kernel", L1Fixture.L2Kernel, "--initramfs", L1Fixture.L2Initramfs, "--memory", "256M",
            "--rng", "--disk", $"path={IntxDiskInL1},readonly", "--append", "pci=nomsi"];
        string guest = L2Command.Build(words,
            "echo hwrng=$(dd if=/dev/hwrng bs=16 count=1 2>/dev/null | od -An -tx1 | tr -d ' \\n')\n" +
            "echo disk-sha=$(sha256sum /dev/vda | cut -d' ' -f1)\n" +
            "grep -c MSI /proc/interrupts; grep virtio /proc/interrupts\n" +
            "poweroff -f\n");
        LabCommandResult result = await lab.Machine.RunAsync(
            $"head -c 1048576 /dev/urandom > {IntxDiskInL1} && echo host-sha=$(sha256sum {IntxDiskInL1} | cut -d' ' -f1) && ( {guest} ); s=$?; rm -f {IntxDiskInL1}; exit $s", s_l2Timeout);
        output.WriteLine($"status {result.ExitStatus} in {result.Elapsed.TotalSeconds:0.0} s\n{result.Output}");

        Assert.Matches(@"(?m)^\s*hwrng=[0-9a-f]{32}\r?$", result.Output);
        // The whole disk came through the interrupt line, byte for byte.
        Assert.Equal(LabOutput.Sha(result.Output, "host-sha"), LabOutput.Sha(result.Output, "disk-sha"));
        // Both functions' handlers are on IO-APIC pins (level), none on MSI, and they fired.
        MatchCollection lines = Regex.Matches(result.Output, @"(?m)^\s*\d+:\s+(?<count>\d+)\s+IO-APIC\s+\d+-fasteoi\s+(?<names>[^\r\n]*virtio[^\r\n]*)");
        Assert.True(lines.Sum(l => Regex.Matches(l.Groups["names"].Value, @"virtio\d+").Count) >= 2, "the two virtio functions are not on IO-APIC pins in /proc/interrupts");
        Assert.All(lines, l => Assert.True(long.Parse(l.Groups["count"].Value, System.Globalization.CultureInfo.InvariantCulture) > 0, l.Value));
        Assert.DoesNotMatch(@"PCI-MSI.*virtio", result.Output);
        LabAssert.PoweredOffConfined(result.Output);
        Assert.Equal(0, result.ExitStatus);
    }

    private const string IntxDiskInL1 = "/tmp/intx-disk.raw";

    [LabFact("qemu-system-x86_64", "busybox", "cpio", "mkfs.ext4")]
    public async Task The_default_machine_boots_its_root_disk_with_the_network_and_keeps_what_was_written_across_a_clean_power_off()
    {
        Assert.True(lab.VireoPublishFailure is null, lab.VireoPublishFailure);
        // As tools/run-default-guest.sh boots it: the initramfs switches to the disk's busybox init.
        string token = Guid.NewGuid().ToString("N");
        string[] words = [L1Fixture.VireoInL1, "run", "--kernel", L1Fixture.L2Kernel, "--initramfs", L1Fixture.L2Initramfs, "--memory", "256M",
            "--disk", $"path={MachineDiskInL1}", "--append", DefaultRootDisk.RootParameter, "--net", "tap"];
        // Console log level 1 first, as in the ping test: a late kernel line (the link coming up)
        // must not split a line the test reads ("recoveries=0[    7.06] IPv6: ...").
        string first = L2Command.Build(words,
            "dmesg -n 1\n" +
            "echo pid1=$(cat /proc/1/comm) host=$(hostname)\n" +
            "echo root-mount=$(grep ' / ' /proc/mounts | cut -d' ' -f1-3)\n" +
            "ping -c 2 -W 5 192.168.249.1 >/tmp/ping.out; echo ping-status=$?\n" +
            $"echo {token} > /root/note; echo noted\n" +
            "poweroff\n");
        LabCommandResult booted = await lab.Machine.RunAsync(
            $"cp {L1Fixture.L2RootDisk} {MachineDiskInL1} && ( {first} )", s_l2Timeout);
        output.WriteLine($"first boot: status {booted.ExitStatus} in {booted.Elapsed.TotalSeconds:0.0} s\n{booted.Output}");

        // The disk's init is running (PID 1 is busybox init, not the initramfs's shell) on /dev/vda, read-write.
        Assert.Matches($@"{Regex.Escape(GuestMarkers.Ready)} cpus=1 .* root=/dev/vda net=eth0:{Regex.Escape(DefaultRootDisk.DefaultAddress)}", booted.Output);
        Assert.Matches(@"(?m)^\s*pid1=init host=vireo\r?$", booted.Output);
        Assert.Matches(@"(?m)^\s*root-mount=/dev/vda / ext4\r?$", booted.Output);
        // eth0 came up with the default address and reaches the tap vireo made in L1.
        Assert.Matches(@"(?m)^\s*ping-status=0\r?$", booted.Output);
        Assert.Contains("noted", booted.Output, StringComparison.Ordinal);
        // The boot and shutdown scripts ran clean: no missing command, no failed mount, and
        // `poweroff` went through init's shutdown (the root made read-only) to ACPI S5.
        Assert.DoesNotContain(": not found", booted.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("mount: ", booted.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("stays read-write", booted.Output, StringComparison.Ordinal);
        LabAssert.PoweredOffConfined(booted.Output);
        Assert.Equal(0, booted.ExitStatus);

        // Boot the same disk again: the note is there, and ext4 needed no journal recovery.
        string second = L2Command.Build(words,
            "dmesg -n 1\n" +
            "echo note=$(cat /root/note)\n" +
            "echo recoveries=$(dmesg | grep -c 'recovery complete')\n" +
            "poweroff\n");
        LabCommandResult again = await lab.Machine.RunAsync($"( {second} ); s=$?; rm -f {MachineDiskInL1}; exit $s", s_l2Timeout);
        output.WriteLine($"second boot: status {again.ExitStatus} in {again.Elapsed.TotalSeconds:0.0} s\n{again.Output}");
        Assert.Matches($@"(?m)^\s*note={token}\r?$", again.Output);
        Assert.Matches(@"(?m)^\s*recoveries=0\r?$", again.Output);
        LabAssert.PoweredOffConfined(again.Output);
        Assert.Equal(0, again.ExitStatus);
    }

    private const string MachineDiskInL1 = "/tmp/machine.ext4";

    private const string ToolArchiveInL1 = "/tmp/vsock-tool.cpio.gz";
    private const string ToolInL1 = "/tmp/vsock-tool";
    private const string VsockInitramfsInL1 = "/tmp/l2-vsock.cpio.gz";

    private const string DiskInL1 = "/tmp/lab-disk.raw";
    private const string DumpBegin = "@@DISK-DUMP-BEGIN@@";
    private const string DumpEnd = "@@DISK-DUMP-END@@";

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(output, System.IO.Compression.CompressionLevel.Optimal))
        {
            gzip.Write(data);
        }
        return output.ToArray();
    }

    private static byte[] Gunzip(byte[] data)
    {
        using var gzip = new System.IO.Compression.GZipStream(new MemoryStream(data), System.IO.Compression.CompressionMode.Decompress);
        using var output = new MemoryStream();
        gzip.CopyTo(output);
        return output.ToArray();
    }

    [GeneratedRegex(@"^[A-Za-z0-9+/=]{1,76}$")]
    private static partial Regex Base64Line();

    [GeneratedRegex(@"^\s*hwrng=(?<bytes>[0-9a-f]+)\r?$", RegexOptions.Multiline)]
    private static partial Regex HwrngLine();

    [GeneratedRegex(@"^\s*hwrng2=(?<bytes>[0-9a-f]+)\r?$", RegexOptions.Multiline)]
    private static partial Regex Hwrng2Line();

    [GeneratedRegex(@"^\s*\d+:\s+(?<count>\d+)\s.*MSI.*virtio0-input", RegexOptions.Multiline)]
    private static partial Regex QueueInterrupts();
}
