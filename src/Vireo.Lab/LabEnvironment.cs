namespace Vireo.Lab;

/// <summary>Everything the nested lab needs on this host: the Debian packages (installed if
/// missing), the stock kernel (downloaded into the cache if missing), QEMU and busybox.</summary>
public sealed class LabEnvironment
{
    private LabEnvironment(LabCache cache, StockKernel kernel, string qemu, string busybox, LabArchitecture architecture, ForeignPackages? foreignPackages = null)
    {
        Architecture = architecture;
        ForeignPackages = foreignPackages;
        Cache = cache;
        Kernel = kernel;
        Qemu = qemu;
        Busybox = busybox;
    }

    /// <summary>L1's architecture.</summary>
    public LabArchitecture Architecture { get; }

    /// <summary>The cache the kernel and images live in.</summary>
    public LabCache Cache { get; }

    /// <summary>The stock kernel that boots as L1 (the default guest, L2, has its own: <see cref="DefaultGuest"/>).</summary>
    public StockKernel Kernel { get; }

    /// <summary>The full path of the QEMU that boots L1 (qemu-system-x86_64 or qemu-system-aarch64).</summary>
    public string Qemu { get; }

    /// <summary>The static busybox from busybox-static (L1's architecture's).</summary>
    public string Busybox { get; }

    /// <summary>Where L1's architecture's Debian packages come from when it is not the host's
    /// (the arm64 lab: its kernel, busybox and the guest's kernel headers); null on x86.</summary>
    public ForeignPackages? ForeignPackages { get; }

    /// <summary>Installs the missing Debian packages and fetches the stock kernel, then finds QEMU and busybox.</summary>
    /// <exception cref="LabException">A package cannot be installed, the kernel cannot be fetched, or a program is not on PATH.</exception>
    /// <param name="cache">Where the kernel is kept; <see cref="LabCache.Default"/> when null.</param>
    /// <param name="progress">Where apt and download progress goes (the CLI passes stderr).</param>
    /// <param name="l1Kernel">The kernel L1 boots (<see cref="L1Kernel.Stock"/>, Debian 12's own, unless asked).</param>
    /// <param name="architecture">L1's architecture: on arm64 the kernel (linux-image-6.12-arm64)
    /// and busybox-static are Debian's arm64 packages, fetched with their own package lists
    /// (<see cref="ForeignPackages"/>), and QEMU is qemu-system-aarch64.</param>
    public static LabEnvironment Prepare(LabCache? cache = null, TextWriter? progress = null, L1Kernel l1Kernel = L1Kernel.Stock,
        LabArchitecture architecture = LabArchitecture.X64)
    {
        cache ??= LabCache.Default();
        if (architecture == LabArchitecture.Arm64)
        {
            return PrepareArm64(cache, progress);
        }
        HostPackages.EnsureInstalled(HostPackages.Lab, progress);
        string qemu = ProcessRunner.FindOnPath("qemu-system-x86_64")
            ?? throw new LabException("qemu-system-x86 is installed but qemu-system-x86_64 is not on PATH");
        // busybox-static installs /bin/busybox; Debian's dynamic busybox package would replace it.
        string busybox = ProcessRunner.FindOnPath("busybox")
            ?? throw new LabException("busybox-static is installed but busybox is not on PATH");
        StockKernel kernel = StockKernel.Acquire(cache, progress, StockKernel.MetaPackage(l1Kernel));
        return new LabEnvironment(cache, kernel, qemu, busybox, LabArchitecture.X64);
    }

    private static LabEnvironment PrepareArm64(LabCache cache, TextWriter? progress)
    {
        const LabArchitecture arm64 = LabArchitecture.Arm64;
        // libc6-arm64-cross: the glibc a NativeAOT vireo for linux-arm64 loads in L1.
        HostPackages.EnsureInstalled([arm64.QemuPackage(), "cpio", "libc6-arm64-cross", "binutils"], progress);
        string qemu = ProcessRunner.FindOnPath(arm64.Qemu())
            ?? throw new LabException($"{arm64.QemuPackage()} is installed but {arm64.Qemu()} is not on PATH");
        var packages = new ForeignPackages(cache, arm64.DebianArchitecture());
        StockKernel kernel = StockKernel.Acquire(cache, progress, arm64.L1KernelMetaPackage(L1Kernel.Stock), packages);
        string busybox = Path.Combine(packages.Unpacked("busybox-static", "packages", cache, progress), "bin", "busybox");
        return new LabEnvironment(cache, kernel, qemu, busybox, arm64, packages);
    }

    /// <summary>An L1 image builder with busybox, the kvm-amd modules (arm64: KVM is built in) and
    /// tun; add the payload. With
    /// <paramref name="deviceAssignment"/>, also the vfio-pci modules and the binding of edu
    /// to vfio-pci at boot (<see cref="DeviceAssignmentInL1"/>), for an L1 booted with
    /// <see cref="L1BootOptions.DeviceAssignment"/>.</summary>
    public L1ImageBuilder NewL1Image(bool deviceAssignment = false)
    {
        if (Architecture == LabArchitecture.Arm64)
        {
            // Debian's arm64 kernels build KVM in (CONFIG_KVM=y): no module to load. tun, as on
            // x86: `vireo run --net tap` in L1 creates the guest's tap.
            var arm64 = new L1ImageBuilder(Busybox, LabArchitecture.Arm64);
            foreach (string module in Kernel.ModulesWithDependencies(["tun"]))
            {
                arm64.AddModule(module);
            }
            if (deviceAssignment)
            {
                DeviceAssignmentInL1.AddTo(arm64, Kernel);
            }
            return arm64;
        }
        L1ImageBuilder image = L1ImageBuilder.ForKvmAmd(Kernel, Busybox);
        if (deviceAssignment)
        {
            DeviceAssignmentInL1.AddTo(image, Kernel);
        }
        return image;
    }

    /// <summary>Boot options for L1 with this environment's kernel and QEMU and <paramref name="initramfs"/>; the rest are defaults.</summary>
    /// <param name="initramfs">The host path of the L1 initramfs.</param>
    /// <param name="consoleEcho">Receives L1's console lines; nowhere when null.</param>
    /// <param name="kernelLogPath">Where L1's kernel console goes (see <see cref="L1BootOptions.KernelLogPath"/>); silenced when null.</param>
    /// <param name="qmpSocketPath">Where QEMU serves QMP (see <see cref="L1BootOptions.QmpSocketPath"/>); none when null.</param>
    /// <param name="deviceAssignment">Whether L1 gets the emulated IOMMU and edu (<see cref="L1BootOptions.DeviceAssignment"/>).</param>
    /// <param name="extraQemuArguments">More of L1's devices (<see cref="L1BootOptions.ExtraQemuArguments"/>).</param>
    public L1BootOptions BootOptions(string initramfs, TextWriter? consoleEcho = null, string? kernelLogPath = null, string? qmpSocketPath = null,
        bool deviceAssignment = false, IReadOnlyList<string>? extraQemuArguments = null) => new()
    {
        ExtraQemuArguments = extraQemuArguments ?? [],
        DeviceAssignment = deviceAssignment,
        Architecture = Architecture,
        // arm64 L1 runs the L2 guest's two vCPUs on two (multi-threaded TCG) and holds the
        // arm64 kernel image and initramfs beside vireo.
        Cpus = Architecture == LabArchitecture.Arm64 ? 2 : 1,
        MemoryMiB = Architecture == LabArchitecture.Arm64 ? 2048 : 1536,
        Kernel = Kernel.Vmlinuz,
        Initramfs = initramfs,
        Qemu = Qemu,
        ConsoleEcho = consoleEcho,
        KernelLogPath = kernelLogPath,
        QmpSocketPath = qmpSocketPath,
    };
}
