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
    [InlineData("run", "--vfio-user", "/run/dev.sock")]
    [InlineData("run", "--vfio-user", "sample,name=x")]
    [InlineData("run", "--vfio-user", "sample,id=a,id=b")]
    [InlineData("run", "--vfio-user", "sample,id=")]
    [InlineData("run", "--vfio-user", "sample,id=a b")]
    [InlineData("run", "--vfio-user", "sample,id=a", "--vfio-user", "sample,id=a")]
    [InlineData("run", "--vfio-user")]
    [InlineData("run", "--l1", " ")]
    [InlineData("run", "--l1", "a", "--l1", "b")]
    [InlineData("run", "--l1-devices", "nic")]
    [InlineData("run", "--l1-qemu")]
    [InlineData("run", "--vfio", "edu")]
    [InlineData("run", "--vfio=edu,backend=group")]
    [InlineData("run", "--l1-devices", "edu", "--l1-devices", "edu")]
    [InlineData("run", "--l1-kernel", "6.16")]
    [InlineData("run", "--l1-kernel")]
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
        Assert.Contains("--l1-devices edu", runHelpOut, StringComparison.Ordinal);
        Assert.Contains("--l1-kernel stock|6.12", runHelpOut, StringComparison.Ordinal);
    }

    [Fact]
    public void L1_devices_edu_asks_for_the_device_assignment_l1_and_leaves_vireo_runs_options_alone()
    {
        LabRunArguments edu = LabRunArguments.Parse(["--l1-devices", "edu", "--memory", "256M"]);

        Assert.True(edu.DeviceAssignment);
        Assert.False(edu.L1Qemu);
        Assert.True(LabRunArguments.Parse(["--l1-devices", "edu", "--l1-qemu"]).L1Qemu);
        Assert.False(LabRunArguments.Parse(["--memory", "256M"]).DeviceAssignment);
        Assert.Equal(["--kernel", "/k", "--memory", "256M", "--append", LabRunArguments.ConsoleWidthParameter], edu.VireoRunWords("/k", null));
        Assert.False(edu.NeedsScript);
    }

    [Fact]
    public void Vfio_edu_becomes_the_address_l1_bound_edu_at_and_other_vfio_values_stay()
    {
        LabRunArguments options = LabRunArguments.Parse(
            ["--l1-devices", "edu", "--vfio", "edu", "--vfio=edu,backend=group,id=e", "--vfio", "0000:00:05.0", "--cmdline", "edu"]);

        LabRunArguments resolved = options.WithEduAddress("0000:00:03.0");

        Assert.Equal(["--vfio", "0000:00:03.0", "--vfio=0000:00:03.0,backend=group,id=e", "--vfio", "0000:00:05.0", "--cmdline", "edu"],
            resolved.Forwarded);
        Assert.Equal(["--vfio", "edu", "--vfio=edu,backend=group,id=e", "--vfio", "0000:00:05.0", "--cmdline", "edu"], options.Forwarded);
    }

    [Fact]
    public void L1_kernel_picks_the_612_l1_and_is_not_forwarded_to_vireo_run()
    {
        LabRunArguments on612 = LabRunArguments.Parse(["--l1-devices", "edu", "--l1-kernel", "6.12", "--memory", "256M"]);

        Assert.Equal(L1Kernel.Linux612, on612.L1Kernel);
        Assert.Equal(["--memory", "256M"], on612.Forwarded);
        Assert.Equal(L1Kernel.Stock, LabRunArguments.Parse(["--l1-kernel", "stock"]).L1Kernel);
        Assert.Equal(L1Kernel.Stock, LabRunArguments.Parse([]).L1Kernel);
    }

    [Fact]
    public void Arch_picks_the_labs_architecture_is_not_forwarded_and_refuses_what_the_arm64_lab_lacks()
    {
        LabRunArguments arm64 = LabRunArguments.Parse(["--arch", "arm64", "--cpus", "2"]);

        Assert.Equal(LabArchitecture.Arm64, arm64.Architecture);
        Assert.Equal(["--cpus", "2"], arm64.Forwarded);
        Assert.Equal(LabArchitecture.Arm64, LabRunArguments.Parse(["--arch", "aarch64"]).Architecture);
        Assert.Equal(LabArchitecture.X64, LabRunArguments.Parse(["--arch", "x86_64"]).Architecture);
        Assert.Equal(LabArchitecture.X64, LabRunArguments.Parse([]).Architecture);
        Assert.Contains("x86_64 or arm64", Assert.Throws<UsageException>(() => LabRunArguments.Parse(["--arch", "riscv64"])).Message, StringComparison.Ordinal);
        // edu behind the virt machine's SMMUv3; but no QEMU inside the arm64 L1.
        Assert.True(LabRunArguments.Parse(["--arch", "arm64", "--l1-devices", "edu"]).DeviceAssignment);
        Assert.Contains("--l1-qemu", Assert.Throws<UsageException>(() => LabRunArguments.Parse(["--arch", "arm64", "--l1-devices", "edu", "--l1-qemu"])).Message, StringComparison.Ordinal);
        // The sample vfio-user server is built for arm64 too.
        Assert.Single(LabRunArguments.Parse(["--arch", "arm64", "--vfio-user", "sample"]).Devices);
        Assert.Contains("--l1-kernel", Assert.Throws<UsageException>(() => LabRunArguments.Parse(["--arch", "arm64", "--l1-kernel", "6.12"])).Message, StringComparison.Ordinal);
        Assert.Contains("--kernel-flavour", Assert.Throws<UsageException>(() => LabRunArguments.Parse(["--arch", "arm64", "--kernel-flavour", "generic"])).Message, StringComparison.Ordinal);
        // The arm64 machine has PCI now: disks and the guest variant go as on x86.
        LabRunArguments disk = LabRunArguments.Parse(["--arch", "arm64", "--guest", "no-modules", "--disk", "/tmp/arm64.img"]);
        Assert.Equal(GuestVariant.NoModules, disk.Guest);
        Assert.Single(disk.Disks);
    }

    [Fact]
    public void The_arm64_lab_boots_the_virt_machine_with_el2_and_its_console_on_the_pl011()
    {
        var options = new L1BootOptions { Architecture = LabArchitecture.Arm64, Kernel = "/k", Initramfs = "/i", Cpus = 2 };

        IReadOnlyList<string> qemu = options.QemuArguments();

        Assert.Equal("virt,virtualization=on,gic-version=3", qemu[qemu.ToList().IndexOf("-M") + 1]);
        Assert.Equal("max", qemu[qemu.ToList().IndexOf("-cpu") + 1]);
        Assert.Contains("console=ttyAMA0", qemu[qemu.ToList().IndexOf("-append") + 1], StringComparison.Ordinal);
        Assert.Throws<LabException>(() => new L1BootOptions { Architecture = LabArchitecture.Arm64, Kernel = "/k", Initramfs = "/i", KernelLogPath = "/log" }.QemuArguments());
        Assert.Contains("exec </dev/ttyAMA0 >/dev/ttyAMA0", L1InitScript.Generate([], [], LabArchitecture.Arm64.ConsoleTty()), StringComparison.Ordinal);
        Assert.DoesNotContain("edu", qemu);
    }

    [Fact]
    public void The_arm64_lab_with_device_assignment_puts_edu_behind_the_virt_machines_smmuv3()
    {
        var options = new L1BootOptions { Architecture = LabArchitecture.Arm64, Kernel = "/k", Initramfs = "/i", DeviceAssignment = true };

        List<string> qemu = [.. options.QemuArguments()];

        Assert.Equal("virt,virtualization=on,gic-version=3,iommu=smmuv3", qemu[qemu.IndexOf("-M") + 1]);
        Assert.StartsWith("edu,dma_mask=0xffffffffff", qemu[qemu.IndexOf("-device") + 1], StringComparison.Ordinal);
        // Debian's arm64 kernel drives the SMMUv3 with no parameter; intel_iommu= is x86's.
        Assert.DoesNotContain("intel_iommu", qemu[qemu.IndexOf("-append") + 1], StringComparison.Ordinal);
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
    public void Each_vfio_user_sample_becomes_a_device_server_in_l1_and_a_vireo_run_vfio_user_option()
    {
        LabRunArguments options = LabRunArguments.Parse(
            ["--vfio-user", "sample", "--cpus", "2", "--vfio-user=sample,id=acc-1", "--vfio-user", "sample"]);

        Assert.Equal(["sample0", "acc-1", "sample2"], options.Devices.Select(d => d.Id));
        Assert.Equal("/run/vireo-lab/acc-1.sock", options.Devices[1].SocketPath);
        Assert.Equal("/run/vireo-lab/acc-1.pid", options.Devices[1].PidFile);
        Assert.Equal(
            ["--kernel", "/l2/k", "--cpus", "2",
             "--vfio-user", "/run/vireo-lab/sample0.sock,id=sample0",
             "--vfio-user", "/run/vireo-lab/acc-1.sock,id=acc-1",
             "--vfio-user", "/run/vireo-lab/sample2.sock,id=sample2",
             "--append", LabRunArguments.ConsoleWidthParameter],
            options.VireoRunWords("/l2/k", null));
        Assert.Null(options.ApiSocket);
        Assert.True(options.NeedsScript);
        Assert.False(LabRunArguments.Parse(["--cpus", "2"]).NeedsScript);
    }

    [Fact]
    public void An_l1_command_gets_vireos_api_socket_the_users_or_one_the_lab_adds()
    {
        LabRunArguments added = LabRunArguments.Parse(["--l1", "vireo remote --api-socket $VIREO_API_SOCKET info"]);
        LabRunArguments given = LabRunArguments.Parse(["--l1", "true", "--api-socket", "/tmp/a.sock"]);
        LabRunArguments givenEquals = LabRunArguments.Parse(["--api-socket=/tmp/b.sock", "--l1=true"]);

        Assert.Equal("vireo remote --api-socket $VIREO_API_SOCKET info", added.L1Command);
        Assert.Equal(LabRunArguments.DefaultApiSocket, added.ApiSocket);
        Assert.Equal(["--kernel", "/k", "--api-socket", LabRunArguments.DefaultApiSocket, "--append", LabRunArguments.ConsoleWidthParameter],
            added.VireoRunWords("/k", null));
        Assert.Equal("/tmp/a.sock", given.ApiSocket);
        Assert.Equal(["--kernel", "/k", "--api-socket", "/tmp/a.sock", "--append", LabRunArguments.ConsoleWidthParameter],
            given.VireoRunWords("/k", null));
        Assert.Equal("/tmp/b.sock", givenEquals.ApiSocket);
        Assert.Single(givenEquals.VireoRunWords("/k", null), w => w.Contains("api-socket", StringComparison.Ordinal));
    }

    [Fact]
    public void Devices_or_an_l1_command_run_the_l1_script_and_a_plain_run_the_plain_vireo_line()
    {
        string plain = LabRunCommand.Command(LabRunArguments.Parse(["--cpus", "2"]), "/v", "/k", null);
        string withDevice = LabRunCommand.Command(LabRunArguments.Parse(["--vfio-user", "sample"]), "/v", "/k", null);

        Assert.Equal(L2Command.Build(["/v", "run", "--kernel", "/k", "--cpus", "2", "--append", LabRunArguments.ConsoleWidthParameter], null), plain);
        Assert.Contains($"{SampleDeviceInL1.Program}' --socket '/run/vireo-lab/sample0.sock'", withDevice, StringComparison.Ordinal);
        Assert.Contains("'--vfio-user' '/run/vireo-lab/sample0.sock,id=sample0'", withDevice, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_copies_each_disk_into_l1_and_gives_vireo_the_copy_with_the_options_unchanged()
    {
        LabRunArguments options = LabRunArguments.Parse(
            ["--disk", "path=/img/root.raw,id=root", "--memory", "256M", "--disk", "/img/data.raw,readonly"]);

        Assert.Equal([new LabDisk("/img/root.raw", ",id=root", 0), new LabDisk("/img/data.raw", ",readonly", 1)], options.Disks);
        Assert.Equal(
            ["--kernel", "/l2/k", "--memory", "256M", "--disk", "path=/l2/disk0.raw,id=root", "--disk", "path=/l2/disk1.raw,readonly",
             "--append", LabRunArguments.ConsoleWidthParameter],
            options.VireoRunWords("/l2/k", null));
        Assert.Throws<UsageException>(() => LabRunArguments.Parse(["--disk", "path=,readonly"]));
    }

    [Fact]
    public void A_missing_or_oversized_disk_image_is_refused_before_the_lab_starts_naming_it()
    {
        using var temp = new TempDirectory();
        string missing = temp.Combine("missing.raw");
        string huge = temp.Combine("huge.raw");
        using (FileStream file = File.Create(huge))
        {
            file.SetLength(LabDisk.MaxBytes + 1);
        }

        Assert.StartsWith($"disk image {missing} does not exist (--disk)",
            Assert.Throws<LabException>(() => LabRunCommand.CheckGuestFiles(LabRunArguments.Parse(["--disk", missing]))).Message);
        Assert.StartsWith($"disk image {huge} is 1024 MiB; the lab copies images into L1's RAM",
            Assert.Throws<LabException>(() => LabRunCommand.CheckGuestFiles(LabRunArguments.Parse(["--disk", $"path={huge},readonly"]))).Message);
    }

    [Fact]
    public void The_guest_kernel_is_checked_as_the_labs_architecture_boots_it()
    {
        using var temp = new TempDirectory();
        // The arm64 boot protocol's header (booting.rst): magic "ARM\x64" at 0x38, a 4 KiB-page
        // little-endian kernel placed anywhere, image_size covering the file.
        byte[] header = new byte[0x2000];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(0x10), 0x3000);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(0x18), 0b1010);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(0x38), Vireo.Loader.Arm64Image.Magic);
        string arm64 = temp.Combine("Image");
        File.WriteAllBytes(arm64, header);

        LabRunCommand.CheckGuestFiles(LabRunArguments.Parse(["--arch", "arm64", "--kernel", arm64]));
        // The same file is no bzImage for the x86-64 lab, and a non-Image is refused by the arm64 one.
        Assert.Throws<Vireo.Loader.KernelImageException>(() => LabRunCommand.CheckGuestFiles(LabRunArguments.Parse(["--kernel", arm64])));
        string notImage = temp.Combine("bzImage");
        File.WriteAllBytes(notImage, new byte[0x2000]);
        Assert.Throws<Vireo.Loader.KernelImageException>(() => LabRunCommand.CheckGuestFiles(LabRunArguments.Parse(["--arch", "arm64", "--kernel", notImage])));
    }

    [LabFact("busybox", "cpio")]
    public void A_run_with_devices_ships_vireo_device_into_l1()
    {
        HostPackages.EnsureInstalled(["cpio", "busybox-static"]);
        using var temp = new TempDirectory();
        var image = new L1ImageBuilder("/bin/busybox");
        // busybox stands in for the static NativeAOT programs and the kernel: only paths matter.
        LabRunCommand.AddPayload(image, "/bin/busybox", "/bin/busybox", "/bin/busybox", null);
        string path = image.WriteTo(temp.Combine("l1.cpio.gz"));

        string[] listed = Tool.Run("gzip", $"-dc '{path}' | cpio -t --quiet").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("usr/local/bin/vireo", listed);
        Assert.Contains(SampleDeviceInL1.Program.TrimStart('/'), listed);
        Assert.Contains("l2/vmlinuz", listed);
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
    // The 6.12 series (bookworm-security's backports kernel) and Debian's own never stand in for each other.
    [InlineData("linux-image-6.12.118+deb12-cloud-amd64", StockKernel.Linux612CloudMetaPackage, true)]
    [InlineData("linux-image-6.12.118+deb12-cloud-amd64", StockKernel.CloudMetaPackage, false)]
    [InlineData("linux-image-6.1.0-57-cloud-amd64", StockKernel.Linux612CloudMetaPackage, false)]
    [InlineData("linux-image-6.12.118+deb12-amd64", StockKernel.Linux612CloudMetaPackage, false)]
    [InlineData("linux-image-6.12.118+deb12-amd64", "linux-image-6.12-amd64", true)]
    [InlineData("linux-image-6.16.3+deb13-cloud-amd64", StockKernel.Linux612CloudMetaPackage, false)]
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
