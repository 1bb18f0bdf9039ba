using System.Buffers.Binary;
using System.Text;
using Vireo.Lab;

namespace Vireo.Lab.Tests;

/// <summary>The pieces of the device-assignment L1 that need no QEMU: its QEMU and kernel
/// command lines, module dependencies from .modinfo, and the binding script on a fake sysfs.</summary>
public sealed class DeviceAssignmentTests
{
    private const string Release = "6.1.0-99-cloud-amd64";

    [Fact]
    public void The_default_l1_has_no_iommu_and_no_edu_and_device_assignment_adds_them()
    {
        var plain = new L1BootOptions { Kernel = "/k", Initramfs = "/i" };
        IReadOnlyList<string> plainArgs = plain.QemuArguments();
        Assert.Equal("q35", plainArgs[plainArgs.ToList().IndexOf("-M") + 1]);
        Assert.DoesNotContain("-device", plainArgs);
        Assert.Equal("console=ttyS0 panic=-1 quiet", plain.EffectiveKernelCommandLine());

        var assigning = new L1BootOptions { Kernel = "/k", Initramfs = "/i", DeviceAssignment = true, KernelLogPath = "/tmp/k.log" };
        IReadOnlyList<string> args = assigning.QemuArguments();
        Assert.Equal("q35,kernel-irqchip=split", args[args.ToList().IndexOf("-M") + 1]);
        Assert.Equal(["-device", "intel-iommu,intremap=on", "-device", "edu"], args.Skip(args.ToList().IndexOf("-device")).Take(4));
        Assert.Equal("panic=-1 quiet console=ttyS1 intel_iommu=on", assigning.EffectiveKernelCommandLine());
        Assert.Equal(assigning.EffectiveKernelCommandLine(), args[args.ToList().IndexOf("-append") + 1]);

        // A command line that already says what it wants about the IOMMU is left alone.
        var chosen = new L1BootOptions { Kernel = "/k", Initramfs = "/i", DeviceAssignment = true, KernelCommandLine = "console=ttyS0 intel_iommu=on,sm_off" };
        Assert.Equal("console=ttyS0 intel_iommu=on,sm_off", chosen.EffectiveKernelCommandLine());
    }

    [Fact]
    public void Modules_come_after_what_their_modinfo_says_they_depend_on_each_once()
    {
        using var temp = new TempDirectory();
        string root = FakeKernel(temp);
        // As Debian 6.1 has them: vfio-pci-core needs vfio, vfio_virqfd and irqbypass.
        string irqbypass = FakeModule(root, "virt/lib", "irqbypass", "");
        string vfio = FakeModule(root, "drivers/vfio", "vfio", "");
        string type1 = FakeModule(root, "drivers/vfio", "vfio_iommu_type1", "vfio");
        string virqfd = FakeModule(root, "drivers/vfio", "vfio_virqfd", "");
        string core = FakeModule(root, "drivers/vfio/pci", "vfio-pci-core", "vfio,vfio_virqfd,irqbypass");
        string pci = FakeModule(root, "drivers/vfio/pci", "vfio-pci", "vfio-pci-core,vfio");
        StockKernel kernel = StockKernel.Open(root);

        Assert.Equal([vfio, type1, virqfd, irqbypass, core, pci], kernel.VfioPciModules);
        // '-' and '_' name the same module; asking twice gives it once.
        Assert.Equal([vfio, virqfd, irqbypass, core], kernel.ModulesWithDependencies(["vfio_pci_core", "vfio-pci-core", "vfio"]));
        Assert.False(kernel.HasModule("iommufd"));

        string iommufd = FakeModule(root, "drivers/iommu/iommufd", "iommufd", "");
        Assert.Equal(iommufd, kernel.VfioPciModules[0]);
    }

    [LabFact("busybox")]
    public void The_lab_kernels_vfio_pci_modules_resolve_from_its_own_modinfo()
    {
        StockKernel kernel = StockKernel.Acquire(LabCache.Default());

        string[] names = [.. kernel.VfioPciModules.Select(m => Path.GetFileNameWithoutExtension(m).Replace('-', '_'))];

        // vfio-pci-core needs vfio_virqfd and irqbypass (Debian 6.1); each comes before its users.
        Assert.Contains("vfio_pci", names);
        Assert.Contains("vfio_iommu_type1", names);
        Assert.True(Array.IndexOf(names, "vfio") < Array.IndexOf(names, "vfio_pci_core"), string.Join(' ', names));
        Assert.True(Array.IndexOf(names, "irqbypass") < Array.IndexOf(names, "vfio_pci_core"), string.Join(' ', names));
        Assert.True(Array.IndexOf(names, "vfio_pci_core") < Array.IndexOf(names, "vfio_pci"), string.Join(' ', names));
        Assert.Equal(names.Length, names.Distinct().Count());
    }

    [LabFact("busybox", "xz")]
    public void The_612_l1_kernel_has_vfios_group_api_as_modules_and_no_iommufd()
    {
        StockKernel kernel = StockKernel.Acquire(LabCache.Default(), metaPackage: StockKernel.MetaPackage(L1Kernel.Linux612));

        string[] names = [.. kernel.VfioPciModules.Select(m => Path.GetFileNameWithoutExtension(m).Replace('-', '_'))];

        Assert.StartsWith("6.12.", kernel.Release, StringComparison.Ordinal);
        // Debian builds 6.12 with the group/container API (type1) and without iommufd, and
        // vfio_virqfd is folded into vfio there (CONFIG_VFIO_VIRQFD=y), unlike 6.1.
        Assert.Equal("y", kernel.ConfigOption("CONFIG_VFIO_CONTAINER"));
        Assert.False(kernel.HasIommufd);
        Assert.Null(kernel.ConfigOption("CONFIG_VFIO_DEVICE_CDEV"));
        Assert.Equal(["vfio", "vfio_iommu_type1", "irqbypass", "vfio_pci_core", "vfio_pci"], names);
        Assert.Equal(["irqbypass", "kvm", "kvm_amd"], kernel.KvmAmdModules.Select(m => Path.GetFileNameWithoutExtension(m).Replace('-', '_')));
    }

    [Fact]
    public void A_missing_dependency_or_a_cycle_is_a_clear_error()
    {
        using var temp = new TempDirectory();
        string root = FakeKernel(temp);
        FakeModule(root, "drivers/vfio/pci", "vfio-pci", "vfio-pci-core");
        FakeModule(root, "drivers/a", "a", "b");
        FakeModule(root, "drivers/a", "b", "a");
        StockKernel kernel = StockKernel.Open(root);

        LabException missing = Assert.Throws<LabException>(() => kernel.ModulesWithDependencies(["vfio-pci"]));
        Assert.Contains("no module vfio-pci-core, which vfio-pci depends on", missing.Message, StringComparison.Ordinal);
        LabException cycle = Assert.Throws<LabException>(() => kernel.ModulesWithDependencies(["a"]));
        Assert.Contains("cycle", cycle.Message, StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(root, "lib", "modules", Release, "kernel", "drivers", "a", "c.ko"), "not ELF");
        Assert.Throws<LabException>(() => kernel.ModulesWithDependencies(["c"]));
    }

    [LabFact("busybox", "cpio")]
    public void An_image_loads_a_module_two_sets_share_once()
    {
        HostPackages.EnsureInstalled(["cpio", "busybox-static"]);
        using var temp = new TempDirectory();
        string irqbypass = temp.Combine("irqbypass.ko");
        string vfio = temp.Combine("vfio.ko");
        File.WriteAllText(irqbypass, "module");
        File.WriteAllText(vfio, "module");
        var builder = new L1ImageBuilder("/bin/busybox");
        builder.AddModule(irqbypass);
        builder.AddModule(vfio);
        builder.AddModule(irqbypass);
        string image = builder.WriteTo(temp.Combine("l1.cpio.gz"));

        string[] listed = Tool.Run("gzip", $"-dc '{image}' | cpio -t --quiet").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["lib/modules/lab/00-irqbypass.ko", "lib/modules/lab/01-vfio.ko"],
            listed.Where(l => l.StartsWith("lib/modules/lab/", StringComparison.Ordinal)));
    }

    [LabFact("busybox")]
    public void The_binding_script_names_what_it_bound_and_says_why_it_could_not()
    {
        using var temp = new TempDirectory();
        string script = temp.Combine("bind");
        string sys = temp.Combine("sys");
        // The script reads /sys; here a fake tree stands in (the same text, another root).
        File.WriteAllText(script, DeviceAssignmentInL1.BindScript.Replace("/sys/", sys + "/", StringComparison.Ordinal));
        string devices = Path.Combine(sys, "bus", "pci", "devices");
        string vfioDriver = Path.Combine(sys, "bus", "pci", "drivers", "vfio-pci");
        Directory.CreateDirectory(vfioDriver);
        FakePciDevice(devices, "0000:00:01.0", "0x1234", "0x1111", null);
        // Already on vfio-pci (as after a reboot of the fixture): found, and left there.
        string edu = FakePciDevice(devices, "0000:00:03.0", "0x1234", "0x11e8", vfioDriver);

        (int bound, string boundOut) = Shell(script, "1234:11e8");
        Assert.Equal((0, "0000:00:03.0\n"), (bound, boundOut));
        Assert.Equal("vfio-pci\n", File.ReadAllText(Path.Combine(edu, "driver_override")));

        (int none, string noneOut) = Shell(script, "1234:ffff");
        Assert.Equal(1, none);
        Assert.Contains("no PCI device 1234:ffff", noneOut, StringComparison.Ordinal);

        // Left without a driver after drivers_probe (no vfio-pci loaded): said so, status 1.
        FakePciDevice(devices, "0000:00:04.0", "0x1b36", "0x0005", null);
        (int unbound, string unboundOut) = Shell(script, "1b36:0005");
        Assert.Equal(1, unbound);
        Assert.Contains("0000:00:04.0 is bound to no driver, not vfio-pci", unboundOut, StringComparison.Ordinal);
        Assert.Equal("0000:00:04.0\n", File.ReadAllText(Path.Combine(sys, "bus", "pci", "drivers_probe")));

        (int usage, _) = Shell(script, "edu");
        Assert.Equal(2, usage);
    }

    [Fact]
    public void Qemu_in_l1_gets_edu_by_the_address_l1_bound_and_the_guest_runs_the_checker_in_both_modes()
    {
        string command = QemuAssignmentInL1.Command("/l2/k", "/l2/i", interrupts: 7);

        Assert.StartsWith($"edu=$(cat {DeviceAssignmentInL1.EduAddressFile}) || exit 1\n", command, StringComparison.Ordinal);
        Assert.Contains("-M q35 -enable-kvm", command, StringComparison.Ordinal);
        Assert.Contains("-kernel /l2/k -initrd /l2/i", command, StringComparison.Ordinal);
        Assert.Contains("-device vfio-pci,host=$edu,rombar=0", command, StringComparison.Ordinal);
        string script = QemuAssignmentInL1.GuestScript(7);
        Assert.Contains(DefaultGuest.ScriptArgument(script), command, StringComparison.Ordinal);
        Assert.Contains($"insmod {EduChecker.GuestPath} irq_mode=$mode irqs=7", script, StringComparison.Ordinal);
        Assert.Contains("for mode in intx msi", script, StringComparison.Ordinal);
        Assert.EndsWith("poweroff -f", script.TrimEnd(), StringComparison.Ordinal);
    }

    private static (int Status, string Output) Shell(string script, string argument)
    {
        var start = new System.Diagnostics.ProcessStartInfo("/bin/busybox")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in (string[])["sh", script, argument])
        {
            start.ArgumentList.Add(a);
        }
        using var process = System.Diagnostics.Process.Start(start)!;
        string stdout = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout);
    }

    private static string FakePciDevice(string devices, string address, string vendor, string device, string? driver)
    {
        string directory = Path.Combine(devices, address);
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "vendor"), vendor + "\n");
        File.WriteAllText(Path.Combine(directory, "device"), device + "\n");
        File.WriteAllText(Path.Combine(directory, "driver_override"), "(null)\n");
        if (driver is not null)
        {
            File.CreateSymbolicLink(Path.Combine(directory, "driver"), driver);
        }
        return directory;
    }

    private static string FakeKernel(TempDirectory temp)
    {
        string root = temp.Combine("linux-image-" + Release);
        Directory.CreateDirectory(Path.Combine(root, "boot"));
        File.WriteAllText(Path.Combine(root, "boot", "vmlinuz-" + Release), "bzImage");
        Directory.CreateDirectory(Path.Combine(root, "lib", "modules", Release, "kernel"));
        return root;
    }

    /// <summary>A minimal ELF64 relocatable with a .modinfo section, as modpost writes one.</summary>
    private static string FakeModule(string root, string directory, string name, string depends)
    {
        string path = Path.Combine(root, "lib", "modules", Release, "kernel", directory, name + ".ko");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        byte[] modinfo = Encoding.ASCII.GetBytes($"license=GPL\0depends={depends}\0name={name.Replace('-', '_')}\0vermagic={Release} SMP\0");
        byte[] names = Encoding.ASCII.GetBytes("\0.modinfo\0.shstrtab\0");
        const int HeaderSize = 0x40, SectionSize = 0x40;
        int modinfoAt = HeaderSize, namesAt = modinfoAt + modinfo.Length, sectionsAt = (namesAt + names.Length + 7) & ~7;
        byte[] file = new byte[sectionsAt + 3 * SectionSize];
        "\u007FELF"u8.CopyTo(file);
        file[4] = 2; // ELFCLASS64
        file[5] = 1; // little-endian
        file[6] = 1; // EV_CURRENT
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(0x10), 1); // ET_REL
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(0x12), 62); // EM_X86_64
        BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(0x28), (ulong)sectionsAt);
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(0x3A), SectionSize);
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(0x3C), 3);
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(0x3E), 2);
        modinfo.CopyTo(file, modinfoAt);
        names.CopyTo(file, namesAt);
        // Section 0 is the null section; 1 is .modinfo (name at 1), 2 is .shstrtab (name at 10).
        WriteSection(file.AsSpan(sectionsAt + SectionSize), 1, modinfoAt, modinfo.Length);
        WriteSection(file.AsSpan(sectionsAt + 2 * SectionSize), 10, namesAt, names.Length);
        File.WriteAllBytes(path, file);
        return path;
    }

    private static void WriteSection(Span<byte> header, int name, int offset, int size)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)name);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], name == 10 ? 3u : 1u); // SHT_STRTAB or SHT_PROGBITS
        BinaryPrimitives.WriteUInt64LittleEndian(header[0x18..], (ulong)offset);
        BinaryPrimitives.WriteUInt64LittleEndian(header[0x20..], (ulong)size);
    }
}
