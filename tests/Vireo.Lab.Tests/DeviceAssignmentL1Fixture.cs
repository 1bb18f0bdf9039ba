using System.Diagnostics;
using System.Text;
using Vireo.Lab;

namespace Vireo.Lab.Tests;

/// <summary>One L1 boot with an emulated IOMMU and QEMU's edu device bound to vfio-pci
/// (<see cref="DeviceAssignmentInL1"/>), shared by every device-assignment scenario, so CI
/// pays one extra boot. It holds what those scenarios need: vireo, QEMU with SeaBIOS (the
/// independent assignment check, <see cref="QemuAssignmentInL1"/>) and the default guest with
/// the edu checker, at the same L1 paths as <see cref="L1Fixture"/>. L1 boots Debian 12's
/// own kernel; <see cref="DeviceAssignment612L1Fixture"/> is the same on the 6.12 kernel.</summary>
public class DeviceAssignmentL1Fixture : IAsyncLifetime
{
    private readonly L1Kernel _l1Kernel;
    private readonly TempDirectory _temp = new();
    private readonly StringBuilder _log = new();
    private readonly TextWriter _writer;
    private L1Machine? _machine;
    private L1BootOptions? _bootOptions;

    public DeviceAssignmentL1Fixture()
        : this(L1Kernel.Stock)
    {
    }

    protected DeviceAssignmentL1Fixture(L1Kernel l1Kernel)
    {
        _l1Kernel = l1Kernel;
        // Locks on itself: the lab's progress (from a worker thread) and Append do not interleave.
        _writer = TextWriter.Synchronized(new StringWriter(_log));
    }

    /// <summary>The shared L1; rebooted for the next test when one had to kill it.</summary>
    public L1Machine Machine
    {
        get
        {
            L1Machine machine = _machine ?? throw new InvalidOperationException($"L1 did not boot:\n{Log}");
            if (machine.IsRunning || _bootOptions is null)
            {
                return machine;
            }
            machine.DisposeAsync().AsTask().GetAwaiter().GetResult();
            // The collection runs its tests one at a time, so blocking here holds up nobody.
            _machine = L1Machine.BootAsync(_bootOptions).GetAwaiter().GetResult();
            Append($"L1 rebooted after a test stopped it: {_machine.BootTime.TotalSeconds:0.0} s");
            return _machine;
        }
    }

    /// <summary>Why the NativeAOT vireo could not be published, or null when it is in L1.</summary>
    public string? VireoPublishFailure { get; private set; }

    /// <summary>Why the guest drivers could not be built, or null when the default guest
    /// (<see cref="L1Fixture.L2Initramfs"/>) carries the edu checker at <see cref="EduChecker.GuestPath"/>.</summary>
    public string? GuestDriverFailure { get; private set; }

    /// <summary>The kernel L1 boots, or null when the lab could not be prepared.</summary>
    public StockKernel? Kernel { get; private set; }

    /// <summary>The first boot's wall time, from starting QEMU to /init's ready marker.</summary>
    public TimeSpan BootTime { get; private set; }

    public string Log
    {
        get
        {
            lock (_writer)
            {
                return _log.ToString();
            }
        }
    }

    public async Task InitializeAsync()
    {
        TextWriter progress = _writer;
        Task<(string?, string?, TimeSpan)> publish = Task.Run(() => NativeAotPublish.Run("Vireo.Cli", "vireo", _temp.Combine("vireo-publish")));
        LabEnvironment lab = await Task.Run(() => LabEnvironment.Prepare(progress: progress, l1Kernel: _l1Kernel));
        Kernel = lab.Kernel;
        (string? vireo, VireoPublishFailure, TimeSpan took) = await publish;
        Append(VireoPublishFailure ?? $"publish: vireo NativeAOT in {took.TotalSeconds:0.0} s");

        var clock = Stopwatch.StartNew();
        L1ImageBuilder image = lab.NewL1Image(deviceAssignment: true);
        if (vireo is not null)
        {
            image.AddProgram(vireo, L1Fixture.VireoInL1);
        }
        QemuAssignmentInL1.AddTo(image, lab.Qemu, L1Fixture.L2Kernel, L1Fixture.L2Initramfs);
        DefaultGuest guest;
        try
        {
            guest = await Task.Run(() => DefaultGuest.Prepare(lab.Cache, progress, sampleDriverCheckout: L1Fixture.RepositoryRoot()));
        }
        catch (LabException e)
        {
            GuestDriverFailure = e.Message;
            Append(e.Message);
            guest = DefaultGuest.Prepare(lab.Cache, progress);
        }
        image.AddFile(guest.Kernel, L1Fixture.L2Kernel);
        image.AddFile(guest.Initramfs, L1Fixture.L2Initramfs);
        string initramfs = image.WriteTo(_temp.Combine($"l1-assign-{_l1Kernel}.cpio.gz"));
        Append($"image: {new FileInfo(initramfs).Length} bytes in {clock.Elapsed.TotalSeconds:0.0} s");

        _bootOptions = lab.BootOptions(initramfs, kernelLogPath: _temp.Combine("l1-kernel.log"), qmpSocketPath: _temp.Combine("l1.qmp"),
            deviceAssignment: true);
        _machine = await L1Machine.BootAsync(_bootOptions);
        BootTime = _machine.BootTime;
        Append($"boot of {lab.Kernel.Release} with IOMMU and edu: {_machine.BootTime.TotalSeconds:0.0} s wall, L1 uptime {_machine.GuestUptimeAtReady:0.0} s at ready");
    }

    public async Task DisposeAsync()
    {
        if (_machine is not null)
        {
            await L1PowerOff.ShutdownAndDisposeAsync(_machine);
        }
        _temp.Dispose();
    }

    private void Append(string line) => _writer.WriteLine(line);
}
