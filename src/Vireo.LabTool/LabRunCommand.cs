using System.Globalization;
using Vireo.Lab;
using Vireo.Loader;

namespace Vireo.LabTool;

/// <summary>`vireo-lab run`: `vireo run` inside the nested lab (QEMU TCG emulating an AMD CPU
/// with SVM, whose stock kernel gives a real kvm-amd), for hosts without VMX/SVM.</summary>
internal static class LabRunCommand
{
    public const string Help = """
        Usage: vireo-lab run [vireo run options] [--input TEXT] [--timeout SECONDS] [--vireo PATH]
                             [--guest default|no-modules] [--kernel-flavour cloud|generic]
                             [--vfio-user sample[,id=NAME]]... [--disk path=FILE[,OPTIONS]]...
                             [--l1 COMMAND] [--vireo-device PATH]
                             [--l1-devices edu [--l1-qemu]] [--l1-kernel stock|6.12]
                             [--arch x86_64|arm64]

        Runs `vireo run` inside the nested lab: QEMU (TCG) emulates an AMD CPU with SVM and
        nested paging, boots Debian's stock cloud kernel with kvm-amd (L1), and the NativeAOT
        vireo boots the guest (L2) on that real KVM. For hosts whose /dev/kvm cannot boot
        Linux (PVM) or that have no KVM at all. It is slow (every guest exit is emulated):
        use it for correctness, not speed.

        With no --kernel it boots the default guest (`vireo-lab guest`). --kernel and
        --initramfs are host files, checked here before the lab starts and copied into it;
        every other option goes to `vireo run` unchanged (`vireo run --help`). The guest
        console streams to stdout as it runs, progress goes to stderr, and the exit status
        is vireo run's inside the lab.

          --input TEXT      bytes typed into the guest console (\n for Enter) once it
                            shows a shell prompt ("# ")
          --timeout S       give up after S seconds (default 600)
          --vireo PATH      the NativeAOT vireo to copy into the lab (vireo-lab --help)
          --guest G         the default guest's variant: default, or no-modules (an
                            initramfs that loads no module at all)
          --kernel-flavour F  the default guest's Debian kernel: cloud (default) or generic
          --vfio-user sample[,id=NAME]
                            start the sample device server (vireo-device) in L1 on
                            /run/vireo-lab/NAME.sock (pid in NAME.pid) and assign it:
                            vireo run gets --vfio-user SOCKET,id=NAME. Repeatable; NAME
                            defaults to sample0, sample1, ... by position. The default
                            guest then carries its driver at /lib/vireo/vireo_sample.ko
                            (built from this checkout; not loaded at boot; the arm64
                            guest has none: drive the device with busybox devmem)
          --l1 COMMAND      a shell command run in L1 once vireo's API socket exists
                            ($VIREO_API_SOCKET; /run/vireo-lab/api.sock unless you give
                            --api-socket); its output lines start with "[l1] " and end
                            with "[l1] exit N". It gets 5 s after vireo exits, then stops
          --vireo-device PATH  the NativeAOT vireo-device to copy into the lab
                            (default: $VIREO_DEVICE_BINARY, or tools/vireo-device.sh;
                            arm64: $VIREO_DEVICE_ARM64_BINARY, or the same script's
                            linux-arm64 build)
          --l1-devices edu  boot L1 with an emulated IOMMU (intel-iommu, intel_iommu=on;
                            arm64: the virt machine's SMMUv3) and QEMU's edu PCI device,
                            which L1 binds to vfio-pci at boot: its address is in
                            /run/vireo-lab/edu.address, its sysfs directory linked at
                            /run/vireo-lab/edu. The x86 default guest then carries the edu
                            checker at /lib/vireo/vireo_edu.ko (built from this checkout;
                            `insmod` it, irq_mode=msi for MSI); on arm64 the guest's
                            busybox devmem reaches edu's registers
          --disk path=FILE[,OPTIONS]
                            copy the image FILE (up to 1 GiB) into L1 and give it to
                            vireo run as --disk with OPTIONS unchanged. Repeatable. The
                            guest writes to the copy: FILE is never changed
          --vfio edu[,OPTIONS]  with --l1-devices edu: vireo run's --vfio for that edu,
                            at the address L1 bound it (OPTIONS go to vireo unchanged)
          --l1-qemu         with --l1-devices edu: also ship Debian's QEMU into L1 and
                            vireo-lab-qemu-edu, which boots the default guest under QEMU
                            with edu assigned (-device vfio-pci) and runs the edu checker
                            with INTx and MSI: an independent check of L1's side
          --l1-kernel K     L1's Debian kernel: stock (Debian 12's 6.1, the default) or
                            6.12 (linux-image-6.12-cloud-amd64, downloaded once into the
                            cache). With --l1-devices edu it loads its own vfio modules.
                            Debian builds 6.12 without iommufd, so there too L1 has
                            the group API only (/dev/vfio/vfio), no /dev/iommu

          --arch A          the lab's architecture: x86_64 (the default) or arm64. arm64
                            boots QEMU's virt machine (TCG, EL2, GICv3) with Debian's
                            arm64 6.12 kernel and its built-in KVM as L1, and a vireo
                            cross-compiled for linux-arm64 (VIREO_ARM64_BINARY or
                            --vireo name one; else tools/vireo.sh builds it, which needs
                            clang, lld and libc6-dev-arm64-cross). The default guest is
                            the same arm64 kernel with an initramfs over arm64 busybox
                            that loads its virtio modules (--guest no-modules: none). Not
                            yet with --l1-devices, --l1-kernel or --kernel-flavour

        Packages (qemu-system-x86, busybox-static, cpio, xz-utils; with --vfio-user or
        --l1-devices the guest kernel's linux-headers) are installed with apt-get when
        missing (root or sudo), the kernel is downloaded once into the cache.
        """;

    private const string L2Kernel = "/l2/vmlinuz";
    private const string L2Initramfs = "/l2/initramfs";
    private const string VireoInL1 = "/usr/local/bin/vireo";

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Contains("--help") || args.Contains("-h"))
        {
            await stdout.WriteLineAsync(Help);
            return 0;
        }
        LabRunArguments options = LabRunArguments.Parse(args);
        // A bad kernel is the user's first problem: say so, naming their file, before minutes of lab.
        CheckGuestFiles(options);

        string vireo = VireoBinary.Locate(options.Architecture, options.Vireo, stderr);
        string? device = options.Devices.Count > 0 ? VireoBinary.LocateDevice(options.Architecture, options.VireoDevice, stderr) : null;
        LabEnvironment lab = LabEnvironment.Prepare(progress: stderr, l1Kernel: options.L1Kernel, architecture: options.Architecture);
        // The guest drivers (the sample device's, the edu checker) ride in the default guest when
        // a device is assigned and this is a checkout to build them from.
        bool assigns = options.Devices.Count > 0 || options.DeviceAssignment;
        string? driverCheckout = assigns ? VireoBinary.Checkout() : null;
        if (assigns && options.Kernel is null && driverCheckout is null)
        {
            await stderr.WriteLineAsync($"vireo-lab: not in a Vireo checkout, so the guest has no {SampleDriver.GuestPath} or {EduChecker.GuestPath}");
        }
        (string kernel, string? initramfs) = (options.Kernel, options.Initramfs) switch
        {
            (string k, var i) => (k, i),
            _ when lab.Architecture == LabArchitecture.Arm64 => DefaultGuest.PrepareArm64(lab, stderr, options.Guest),
            _ => GuestFiles(DefaultGuest.Prepare(lab.Cache, stderr, options.Guest, options.KernelFlavour, driverCheckout)),
        };

        string temp = Directory.CreateTempSubdirectory("vireo-lab-").FullName;
        try
        {
            L1ImageBuilder image = lab.NewL1Image(options.DeviceAssignment);
            AddPayload(image, vireo, device, kernel, initramfs, options.Disks);
            foreach (LabDisk disk in options.Disks)
            {
                await stderr.WriteLineAsync($"vireo-lab: {disk.HostPath} is copied into the lab as {disk.PathInL1}; what the guest writes stays there, {disk.HostPath} is not changed");
            }
            if (options.L1Qemu)
            {
                QemuAssignmentInL1.AddTo(image, lab.Qemu, L2Kernel, L2Initramfs);
            }
            string l1 = image.WriteTo(Path.Combine(temp, "l1.cpio.gz"));

            await stderr.WriteLineAsync($"vireo-lab: booting the lab (L1: Debian's {lab.Kernel.Release} under QEMU TCG, " +
                (lab.Architecture == LabArchitecture.Arm64 ? "arm64 virt with EL2" : "emulated AMD SVM") +
                (options.DeviceAssignment ? ", an emulated IOMMU and edu" : "") + ")...");
            await using L1Machine machine = await L1Machine.BootAsync(lab.BootOptions(l1, deviceAssignment: options.DeviceAssignment));
            string kvm = lab.Architecture == LabArchitecture.Arm64 ? "KVM" : "kvm-amd";
            // Before the ready line, whose colon introduces the guest console.
            if (options.DeviceAssignment)
            {
                string? address = await ReportEduAsync(machine, stderr);
                options = address is null ? options : options.WithEduAddress(address);
            }
            await stderr.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"vireo-lab: L1 ready in {machine.BootTime.TotalSeconds:0.0} s; vireo run boots the guest on L1's {kvm} (the console follows):"));
            int status = await RunInL1Async(machine, options, VireoInL1, L2Kernel, initramfs is null ? null : L2Initramfs, stdout);
            await machine.ShutdownAsync();
            return status;
        }
        finally
        {
            Directory.Delete(temp, recursive: true);
        }
    }

    /// <summary>`vireo run` on a running L1 that holds vireo and the guest at the given paths,
    /// its console relayed line by line to <paramref name="stdout"/> as it arrives. Returns
    /// vireo run's exit status.</summary>
    internal static async Task<int> RunInL1Async(L1Machine machine, LabRunArguments options, string vireoInL1,
        string kernelInL1, string? initramfsInL1, TextWriter stdout)
    {
        string command = Command(options, vireoInL1, kernelInL1, initramfsInL1);
        LabCommandResult result = await machine.RunAsync(command, TimeSpan.FromSeconds(options.TimeoutSeconds),
            onOutputLine: line => stdout.WriteLine(ConsoleRelay.ForDisplay(line)));
        await stdout.FlushAsync();
        return result.ExitStatus;
    }

    /// <summary>What `run` puts in L1 besides the lab itself: vireo, vireo-device when devices
    /// are assigned, the guest, and copies of its disk images.</summary>
    internal static void AddPayload(L1ImageBuilder image, string vireo, string? device, string kernel, string? initramfs, IReadOnlyList<LabDisk>? disks = null)
    {
        foreach (LabDisk disk in disks ?? [])
        {
            image.AddFile(disk.HostPath, disk.PathInL1);
        }
        image.AddProgram(vireo, VireoInL1);
        if (device is not null)
        {
            image.AddProgram(device, SampleDeviceInL1.Program);
        }
        image.AddFile(kernel, L2Kernel);
        if (initramfs is not null)
        {
            image.AddFile(initramfs, L2Initramfs);
        }
    }

    /// <summary>The shell command that runs vireo in L1: the plain vireo line, or, with devices
    /// or an L1 command, <see cref="L1RunScript"/> (L1 runs a command as a script file, so
    /// it may span lines).</summary>
    internal static string Command(LabRunArguments options, string vireoInL1, string kernelInL1, string? initramfsInL1)
    {
        string[] words = [vireoInL1, "run", .. options.VireoRunWords(kernelInL1, initramfsInL1)];
        string? input = options.Input?.Replace("\\n", "\n", StringComparison.Ordinal);
        if (!options.NeedsScript)
        {
            return L2Command.Build(words, input);
        }
        return L1RunScript.Build(words, input, options.Devices, options.L1Command, options.ApiSocket);
    }

    private static (string, string?) GuestFiles(DefaultGuest guest) => (guest.Kernel, guest.Initramfs);

    /// <summary>Says where edu is in L1, or why L1 could not bind it (the run goes on: the
    /// user's L1 command may want to look for itself). Returns its address, or null.</summary>
    private static async Task<string?> ReportEduAsync(L1Machine machine, TextWriter stderr)
    {
        LabCommandResult bound = await machine.RunAsync(
            $"if [ -s {DeviceAssignmentInL1.EduAddressFile} ]; then echo \"edu $(cat {DeviceAssignmentInL1.EduAddressFile}) is bound to vfio-pci " +
            $"(IOMMU group $(basename $(readlink {DeviceAssignmentInL1.EduLink}/iommu_group)))\"; " +
            $"else echo \"edu is not bound to vfio-pci: $(cat {DeviceAssignmentInL1.EduBindLog})\"; exit 1; fi");
        await stderr.WriteLineAsync($"vireo-lab: {bound.Output.Trim()}");
        string[] words = bound.Output.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return bound.ExitStatus == 0 && words.Length > 1 ? words[1] : null;
    }

    internal static void CheckGuestFiles(LabRunArguments options)
    {
        if (options.Kernel is not null)
        {
            // The kernel L2 boots is the lab's architecture's: an arm64 Image for --arch arm64.
            if (options.Architecture == LabArchitecture.Arm64)
            {
                Arm64Image.Load(options.Kernel);
            }
            else
            {
                BzImage.Load(options.Kernel);
            }
        }
        if (options.Initramfs is not null && !File.Exists(options.Initramfs))
        {
            throw new LabException($"initramfs {options.Initramfs} does not exist");
        }
        foreach (LabDisk disk in options.Disks)
        {
            disk.Check();
        }
    }
}
