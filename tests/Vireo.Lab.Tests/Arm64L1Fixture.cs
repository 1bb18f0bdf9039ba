using System.Diagnostics;
using Vireo.Lab;

namespace Vireo.Lab.Tests;

/// <summary>One arm64 L1 boot (QEMU TCG's virt machine with EL2, a GICv3, an SMMUv3 and QEMU's
/// edu, Debian's arm64 6.12 kernel with its built-in KVM) shared by the arm64 lab scenarios, with the NativeAOT
/// vireo and the sample vfio-user server (vireo-device) cross-published for linux-arm64 in it.</summary>
public sealed class Arm64L1Fixture : IAsyncLifetime
{
    public const string VireoInL1 = "/usr/local/bin/vireo";

    /// <summary>The L2 kernel: the same stock Debian arm64 Image L1 runs.</summary>
    public const string L2Kernel = "/l2/Image";

    /// <summary>The default guest's busybox initramfs with no modules, built with arm64 busybox.</summary>
    public const string L2Initramfs = "/l2/initramfs.cpio.gz";

    /// <summary>The default guest's initramfs with the arm64 kernel's virtio modules (virtio-blk,
    /// virtio-rng, virtio-net, vsock), which it loads at boot.</summary>
    public const string L2InitramfsWithModules = "/l2/initramfs-modules.cpio.gz";

    /// <summary>Assets/vsock-tool.c built for arm64: AF_VSOCK and UNIX-socket ends for L1 and L2.</summary>
    public const string VsockTool = "/usr/local/bin/vsock-tool";

    /// <summary>The modules guest with <see cref="VsockTool"/> at /bin/vsock-tool (a second cpio
    /// archive appended, which the kernel unpacks over the first).</summary>
    public const string L2InitramfsWithVsockTool = "/l2/initramfs-vsock.cpio.gz";

    /// <summary>The no-modules guest with the edu checker and the sample device's driver,
    /// cross-built for the arm64 kernel from this checkout, at <see cref="EduChecker.GuestPath"/>
    /// and <see cref="SampleDriver.GuestPath"/> (a second cpio archive appended).</summary>
    public const string L2InitramfsWithDrivers = "/l2/initramfs-drivers.cpio.gz";

    /// <summary>Why the arm64 guest drivers could not be built, or null.</summary>
    public string? GuestDriverFailure { get; private set; }

    /// <summary>Why the arm64 vsock tool could not be built, or null.</summary>
    public string? VsockToolFailure { get; private set; }

    /// <summary>The bare-metal SDEI conformance guest's Image.</summary>
    public const string SdeiGuest = SdeiConformanceGuest.InL1;

    /// <summary>The bare-metal SDEI snapshot guest's Image.</summary>
    public const string SdeiSnapshotGuest = SdeiConformanceGuest.SnapshotInL1;

    private readonly TempDirectory _temp = new();
    private readonly FixtureLog _log = new();
    private L1Machine? _machine;

    /// <summary>The booted arm64 L1.</summary>
    public L1Machine Machine => _machine ?? throw new InvalidOperationException($"the arm64 L1 did not boot:\n{Log}");

    /// <summary>Why the linux-arm64 NativeAOT vireo could not be published, or null.</summary>
    public string? VireoPublishFailure { get; private set; }

    /// <summary>Why the linux-arm64 NativeAOT vireo-device could not be published, or null when it
    /// is in L1 at <see cref="SampleDeviceInL1.Program"/>.</summary>
    public string? DevicePublishFailure { get; private set; }

    /// <summary>The kernel L1 runs (Debian's arm64 package).</summary>
    public StockKernel? Kernel { get; private set; }

    public string Log => _log.ToString();

    public async Task InitializeAsync()
    {
        var progress = new StringWriter();
        var clock = Stopwatch.StartNew();
        // vireo, then vireo-device (one after the other: each is CPU-bound), while the lab's
        // downloads run.
        string rid = LabArchitecture.Arm64.RuntimeIdentifier();
        Task<(string? Binary, string? Failure, TimeSpan Took)> publish =
            Task.Run(() => NativeAotPublish.Run("Vireo.Cli", "vireo", _temp.Combine("vireo-arm64"), rid));
        Task<(string? Binary, string? Failure, TimeSpan Took)> publishDevice = publish.ContinueWith(
            _ => NativeAotPublish.Run("Vireo.SampleDevice", "vireo-device", _temp.Combine("vireo-device-arm64"), rid), TaskScheduler.Default);
        LabEnvironment lab = await Task.Run(() => LabEnvironment.Prepare(progress: progress, architecture: LabArchitecture.Arm64));
        Kernel = lab.Kernel;
        Append(progress.ToString());
        Append($"prepare: {lab.Kernel.Package} in {clock.Elapsed.TotalSeconds:0.0} s");
        (string? vireo, string? failure, TimeSpan took) = await publish;
        VireoPublishFailure = failure;
        Append(failure ?? $"publish: vireo for linux-arm64 in {took.TotalSeconds:0.0} s");

        (string? device, string? deviceFailure, TimeSpan deviceTook) = await publishDevice;
        DevicePublishFailure = deviceFailure;
        Append(deviceFailure ?? $"publish: vireo-device for linux-arm64 in {deviceTook.TotalSeconds:0.0} s");

        // With edu behind the virt machine's SMMUv3, bound to vfio-pci at boot, for --vfio; no
        // other PCI device is in L1, so the SMMU changes nothing else.
        L1ImageBuilder image = lab.NewL1Image(deviceAssignment: true);
        if (vireo is not null)
        {
            image.AddProgram(vireo, VireoInL1);
        }
        if (device is not null)
        {
            image.AddProgram(device, SampleDeviceInL1.Program);
        }
        // L2: the stock kernel and the default guest's /init (no modules, so any kernel boots it)
        // over arm64 busybox.
        (string kernel, string guest) = DefaultGuest.PrepareArm64(lab, progress);
        image.AddFile(kernel, L2Kernel);
        image.AddFile(guest, L2Initramfs);
        AddGuestDrivers(image, lab, guest, progress);
        string withModules = DefaultGuest.PrepareArm64(lab, progress, GuestVariant.Default).Initramfs;
        image.AddFile(withModules, L2InitramfsWithModules);
        AddVsockTool(image, withModules);
        image.AddFile(SdeiConformanceGuest.Build(lab.Cache, progress), SdeiGuest);
        image.AddFile(SdeiConformanceGuest.BuildSnapshotGuest(lab.Cache, progress), SdeiSnapshotGuest);
        string initramfs = image.WriteTo(_temp.Combine("l1-arm64.cpio.gz"));
        _machine = await L1Machine.BootAsync(lab.BootOptions(initramfs, deviceAssignment: true));
        Append($"boot: {_machine.BootTime.TotalSeconds:0.0} s wall, L1 uptime {_machine.GuestUptimeAtReady:0.0} s at ready");
    }

    public async Task DisposeAsync()
    {
        if (_machine is not null)
        {
            await L1PowerOff.ShutdownAndDisposeAsync(_machine);
        }
        _temp.Dispose();
    }

    private void Append(string line) => _log.Append(line.TrimEnd());

    // The PC's guest drivers, cross-built against Debian's arm64 headers of the guest's kernel.
    private void AddGuestDrivers(L1ImageBuilder image, LabEnvironment lab, string l2Initramfs, TextWriter progress)
    {
        var files = new List<(string GuestPath, byte[] Bytes)>();
        try
        {
            ForeignPackages arm64 = lab.ForeignPackages ?? throw new LabException("the arm64 lab has no arm64 package source");
            foreach (GuestDriver driver in (GuestDriver[])[GuestDriver.Edu, GuestDriver.Sample])
            {
                string module = driver.Build(L1Fixture.RepositoryRoot(), lab.Kernel.Release, lab.Cache, progress, arm64);
                files.Add((driver.GuestPath, File.ReadAllBytes(module)));
            }
        }
        catch (LabException e)
        {
            GuestDriverFailure = $"cannot cross-build the guest drivers for {lab.Kernel.Release}: {e.Message}";
            Append(GuestDriverFailure);
            return;
        }
        image.AddFile(L2InitramfsWithDrivers, CpioWriter.AppendToInitramfs(l2Initramfs, cpio =>
        {
            cpio.AddDirectory("lib");
            cpio.AddDirectory("lib/vireo");
            foreach ((string guestPath, byte[] bytes) in files)
            {
                cpio.AddFile(guestPath.TrimStart('/'), bytes, 0x1A4);
            }
        }));
    }

    // busybox speaks neither AF_VSOCK nor UNIX sockets: the x86 lab's small static tool does,
    // built here with the arm64 cross compiler for both sides.
    private void AddVsockTool(L1ImageBuilder image, string l2Initramfs)
    {
        string tool = _temp.Combine("vsock-tool-arm64");
        try
        {
            Tool.Run("aarch64-linux-gnu-gcc", $"-static -Os -s -o '{tool}' '{Path.Combine(L1Fixture.RepositoryRoot(), "tests", "Vireo.Lab.Tests", "Assets", "vsock-tool.c")}'");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            VsockToolFailure = $"cannot build vsock-tool for arm64 (apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross): {e.Message}";
            return;
        }
        image.AddProgram(tool, VsockTool);
        image.AddFile(L2InitramfsWithVsockTool, CpioWriter.AppendToInitramfs(l2Initramfs, cpio => cpio.AddFile("bin/vsock-tool", File.ReadAllBytes(tool), 0x1ED)));
    }
}

/// <summary>The arm64 lab scenarios share one arm64 L1 boot.</summary>
[CollectionDefinition(Name)]
public sealed class Arm64LabCollection : ICollectionFixture<Arm64L1Fixture>
{
    public const string Name = "lab-arm64";
}
