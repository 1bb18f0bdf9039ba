namespace Vireo.Lab;

/// <summary>Everything the nested lab needs on this host: the Debian packages (installed if
/// missing), the stock kernel (downloaded into the cache if missing), QEMU and busybox.</summary>
public sealed class LabEnvironment
{
    private LabEnvironment(LabCache cache, StockKernel kernel, string qemu, string busybox)
    {
        Cache = cache;
        Kernel = kernel;
        Qemu = qemu;
        Busybox = busybox;
    }

    /// <summary>The cache the kernel and images live in.</summary>
    public LabCache Cache { get; }

    /// <summary>The stock kernel that boots as L1 (the default guest, L2, has its own: <see cref="DefaultGuest"/>).</summary>
    public StockKernel Kernel { get; }

    /// <summary>The full path of qemu-system-x86_64 on the host.</summary>
    public string Qemu { get; }

    /// <summary>The static busybox from busybox-static.</summary>
    public string Busybox { get; }

    /// <summary>Installs the missing Debian packages and fetches the stock kernel, then finds QEMU and busybox.</summary>
    /// <exception cref="LabException">A package cannot be installed, the kernel cannot be fetched, or a program is not on PATH.</exception>
    /// <param name="cache">Where the kernel is kept; <see cref="LabCache.Default"/> when null.</param>
    /// <param name="progress">Where apt and download progress goes (the CLI passes stderr).</param>
    /// <param name="l1Kernel">The kernel L1 boots (<see cref="L1Kernel.Stock"/>, Debian 12's own, unless asked).</param>
    public static LabEnvironment Prepare(LabCache? cache = null, TextWriter? progress = null, L1Kernel l1Kernel = L1Kernel.Stock)
    {
        cache ??= LabCache.Default();
        HostPackages.EnsureInstalled(HostPackages.Lab, progress);
        string qemu = ProcessRunner.FindOnPath("qemu-system-x86_64")
            ?? throw new LabException("qemu-system-x86 is installed but qemu-system-x86_64 is not on PATH");
        // busybox-static installs /bin/busybox; Debian's dynamic busybox package would replace it.
        string busybox = ProcessRunner.FindOnPath("busybox")
            ?? throw new LabException("busybox-static is installed but busybox is not on PATH");
        StockKernel kernel = StockKernel.Acquire(cache, progress, StockKernel.MetaPackage(l1Kernel));
        return new LabEnvironment(cache, kernel, qemu, busybox);
    }

    /// <summary>An L1 image builder with busybox and the kvm-amd modules; add the payload. With
    /// <paramref name="deviceAssignment"/>, also the vfio-pci modules and the binding of edu
    /// to vfio-pci at boot (<see cref="DeviceAssignmentInL1"/>), for an L1 booted with
    /// <see cref="L1BootOptions.DeviceAssignment"/>.</summary>
    public L1ImageBuilder NewL1Image(bool deviceAssignment = false)
    {
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
    public L1BootOptions BootOptions(string initramfs, TextWriter? consoleEcho = null, string? kernelLogPath = null, string? qmpSocketPath = null,
        bool deviceAssignment = false) => new()
    {
        DeviceAssignment = deviceAssignment,
        Kernel = Kernel.Vmlinuz,
        Initramfs = initramfs,
        Qemu = Qemu,
        ConsoleEcho = consoleEcho,
        KernelLogPath = kernelLogPath,
        QmpSocketPath = qmpSocketPath,
    };
}
