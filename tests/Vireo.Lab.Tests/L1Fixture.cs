using System.Diagnostics;
using System.Text;
using Vireo.Lab;

namespace Vireo.Lab.Tests;

/// <summary>One L1 boot shared by every lab scenario: lab scenarios are expensive (TCG), so the
/// image is built and booted once per test run and each scenario sends its own commands.</summary>
public sealed class L1Fixture : IAsyncLifetime
{
    public const string VireoInL1 = "/usr/local/bin/vireo";
    public const string L2Kernel = "/l2/vmlinuz";
    public const string L2Initramfs = "/l2/initramfs.cpio.gz";

    /// <summary>The default guest's pristine root disk (<see cref="DefaultRootDisk"/>): copy it before booting it.</summary>
    public const string L2RootDisk = "/l2/rootfs.ext4";

    /// <summary>The same busybox guest that loads no module at all (<see cref="GuestVariant.NoModules"/>),
    /// for scenarios that must not depend on optional guest drivers (evdev, button).</summary>
    public const string L2NoModulesInitramfs = "/l2/no-modules.cpio.gz";

    /// <summary>Debian's generic kernel flavour (linux-image-amd64), in L1 only when
    /// <see cref="GenericKernelVariable"/> is 1: a 70 MB download, so not in every run.</summary>
    public const string L2GenericKernel = "/l2/vmlinuz-generic";

    /// <summary>Why the device benchmark's tool is not in L1 (gcc failed), or null.</summary>
    public string? DeviceBenchmarkFailure { get; private set; }

    public const string GenericKernelVariable = "VIREO_LAB_GENERIC_KERNEL";

    private readonly TempDirectory _temp = new();
    private readonly FixtureLog _log = new();
    private readonly List<string> _earlierWedgeLogs = [];
    private L1Machine? _machine;
    private L1BootOptions? _bootOptions;

    /// <summary>The shared L1. When a test had to kill it (a command that timed out, or an L1
    /// wedged beyond the watchdog's nudges), the next test gets a freshly booted one instead of
    /// failing with it: one stuck test costs one failure, not the rest of the lab.</summary>
    public L1Machine Machine
    {
        get
        {
            L1Machine machine = _machine ?? throw new InvalidOperationException($"L1 did not boot:\n{Log}");
            if (machine.IsRunning || _bootOptions is null)
            {
                return machine;
            }
            _earlierWedgeLogs.AddRange(machine.WedgeLog);
            machine.DisposeAsync().AsTask().GetAwaiter().GetResult();
            // The collection runs its tests one at a time, so blocking here holds up nobody.
            _machine = L1Machine.BootAsync(_bootOptions).GetAwaiter().GetResult();
            Reboots++;
            Append($"L1 rebooted after a test stopped it (reboot {Reboots}): {_machine.BootTime.TotalSeconds:0.0} s");
            _earlierWedgeLogs.Add($"{DateTime.UtcNow:HH:mm:ss} L1 rebooted after a test stopped it (reboot {Reboots})");
            return _machine;
        }
    }

    /// <summary>How often <see cref="Machine"/> had to boot a fresh L1.</summary>
    public int Reboots { get; private set; }

    /// <summary>Why the NativeAOT vireo could not be published, or null when it is in L1.</summary>
    public string? VireoPublishFailure { get; private set; }

    /// <summary>Why the NativeAOT vireo-device could not be published, or null when it is in L1
    /// at <see cref="SampleDeviceInL1.Program"/>.</summary>
    public string? DevicePublishFailure { get; private set; }

    /// <summary>Why the guest driver could not be built, or null when the default guest
    /// (<see cref="L2Initramfs"/>) carries it at <see cref="SampleDriver.GuestPath"/>.</summary>
    public string? SampleDriverFailure { get; private set; }

    /// <summary>Where `dotnet publish` of src/Vireo.Cli put the NativeAOT vireo (and anything beside it).</summary>
    public string PublishDirectory => _temp.Combine("vireo-publish");

    public string Log => _log.ToString();

    public TimeSpan PrepareTime { get; private set; }

    public TimeSpan PublishTime { get; private set; }

    public TimeSpan ImageTime { get; private set; }

    public async Task InitializeAsync()
    {
        var progress = TextWriter.Synchronized(new LogWriter(this));
        var clock = Stopwatch.StartNew();
        // Publishing vireo and vireo-device (one after the other: each is CPU-bound) and
        // preparing the lab (apt, kernel download) overlap.
        Task<(string?, string?)> publish = Task.Run(() => (PublishVireo(), PublishDevice()));
        LabEnvironment lab = await Task.Run(() => LabEnvironment.Prepare(progress: progress));
        PrepareTime = clock.Elapsed;
        (string? vireo, string? device) = await publish;

        clock.Restart();
        L1ImageBuilder image = lab.NewL1Image();
        if (vireo is not null)
        {
            image.AddProgram(vireo, VireoInL1);
        }
        if (device is not null)
        {
            image.AddProgram(device, SampleDeviceInL1.Program);
        }
        // QEMU for the boot benchmark's comparison: one shared L1 instead of a second boot.
        BootBenchmark.AddQemu(image, lab.Qemu);
        // The default guest, as `vireo run` boots it, for the L2 scenarios, with the sample
        // device's driver (built for its kernel from this checkout) to insmod.
        DefaultGuest guest;
        try
        {
            guest = DefaultGuest.Prepare(lab.Cache, progress, sampleDriverCheckout: RepositoryRoot());
        }
        catch (LabException e)
        {
            SampleDriverFailure = e.Message;
            Append(e.Message);
            guest = DefaultGuest.Prepare(lab.Cache, progress);
        }
        image.AddFile(guest.Kernel, L2Kernel);
        image.AddFile(guest.Initramfs, L2Initramfs);
        image.AddFile(guest.RootDisk, L2RootDisk);
        // The device benchmark's tool (gcc -static) in L1 and in a copy of the guest's initramfs.
        try
        {
            DeviceBenchmark.AddTo(image, DeviceBenchmark.BuildTool(lab.Cache, progress), guest.Initramfs);
        }
        catch (LabException e)
        {
            DeviceBenchmarkFailure = e.Message;
            Append(e.Message);
        }
        image.AddFile(DefaultGuest.Prepare(lab.Cache, progress, GuestVariant.NoModules).Initramfs, L2NoModulesInitramfs);
        if (GenericKernelFactAttribute.Enabled)
        {
            StockKernel generic = await Task.Run(() => StockKernel.Acquire(lab.Cache, progress, StockKernel.GenericMetaPackage));
            image.AddFile(generic.Vmlinuz, L2GenericKernel);
        }
        image.AddFile(ModuleFreeGuest.Build(_temp.Path), ModuleFreeGuest.InitramfsInL1);
        // The KVM unit tests' disk: this host may have no /dev/kvm, L1 has one.
        try
        {
            UnitTests = await Task.Run(BuildUnitTestsDisk);
            UnitTestsInL1.AddTo(image, lab.Kernel);
            Append($"unit tests disk: {new FileInfo(UnitTests.Image).Length} bytes, " +
                string.Join(", ", UnitTests.KvmTests.Select(p => $"{p.Key} ({p.Value.Count} tests)")));
        }
        catch (LabException e)
        {
            UnitTestsFailure = e.Message;
            Append(e.Message);
        }
        string initramfs = image.WriteTo(_temp.Combine("l1.cpio.gz"));
        ImageTime = clock.Elapsed;
        Append($"image: {new FileInfo(initramfs).Length} bytes in {ImageTime.TotalSeconds:0.0} s");

        // Kernel warnings in L1 (kvm-amd, lockups) land in a file the failure messages quote.
        // The QMP socket lets the watchdog see (and nudge) the nested-SVM wedge; see L1Machine.
        _bootOptions = lab.BootOptions(initramfs, kernelLogPath: _temp.Combine("l1-kernel.log"), qmpSocketPath: _temp.Combine("l1.qmp"),
            extraQemuArguments: UnitTests?.QemuArguments() ?? []);
        _machine = await L1Machine.BootAsync(_bootOptions);
        Append($"boot: {_machine.BootTime.TotalSeconds:0.0} s wall, L1 uptime {_machine.GuestUptimeAtReady:0.0} s at ready");
    }

    public async Task DisposeAsync()
    {
        if (_machine is not null)
        {
            // Recovered wedges pass silently otherwise; test.sh prints this file after the run.
            string[] wedges = [.. _earlierWedgeLogs, .. _machine.WedgeLog];
            if (wedges.Length > 0 && Environment.GetEnvironmentVariable("VIREO_LAB_WEDGE_LOG") is { Length: > 0 } wedgeLog)
            {
                await File.AppendAllLinesAsync(wedgeLog, wedges);
            }
            await L1PowerOff.ShutdownAndDisposeAsync(_machine);
        }
        _temp.Dispose();
    }

    /// <summary>The test assemblies whose KVM tests run in L1 (<see cref="UnitTests"/>).</summary>
    public static readonly IReadOnlyList<string> UnitTestAssemblies = ["Vireo.Kvm.Tests", "Vireo.Vmm.Tests", "Vireo.Api.Tests", "Vireo.Cli.Tests"];

    /// <summary>The disk with the KVM unit tests, mounted in L1, or null (<see cref="UnitTestsFailure"/> says why).</summary>
    public UnitTestsInL1? UnitTests { get; private set; }

    /// <summary>Why the KVM unit tests are not in L1, or null.</summary>
    public string? UnitTestsFailure { get; private set; }

    // The other test projects' outputs for the configuration this one was built in
    // (tests/NAME/bin/Release/net10.0/), which tools/test.sh builds before any test runs.
    private UnitTestsInL1 BuildUnitTestsDisk()
    {
        string tests = Path.Combine(RepositoryRoot(), "tests");
        string output = Path.GetRelativePath(Path.Combine(tests, "Vireo.Lab.Tests"), AppContext.BaseDirectory);
        return UnitTestsInL1.Build(_temp.Combine("unit-tests.ext4"),
            System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory(),
            Path.Combine(AppContext.BaseDirectory, "xunit-console"),
            [.. UnitTestAssemblies.Select(a => (a, Path.Combine(tests, a, output)))],
            _temp.Combine("unit-tests"));
    }

    private string? PublishVireo()
    {
        (string? binary, string? failure, TimeSpan took) = Publish("Vireo.Cli", "vireo", PublishDirectory);
        PublishTime = took;
        VireoPublishFailure = failure;
        return binary;
    }

    private string? PublishDevice()
    {
        (string? binary, string? failure, _) = Publish("Vireo.SampleDevice", "vireo-device", _temp.Combine("vireo-device-publish"));
        DevicePublishFailure = failure;
        return binary;
    }

    private (string? Binary, string? Failure, TimeSpan Took) Publish(string projectName, string binaryName, string output)
    {
        (string? binary, string? failure, TimeSpan took) = NativeAotPublish.Run(projectName, binaryName, output);
        Append(failure ?? $"publish: {binaryName} NativeAOT in {took.TotalSeconds:0.0} s");
        return (binary, failure, took);
    }

    internal static string RepositoryRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Vireo.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"no Vireo.slnx above {AppContext.BaseDirectory}");
    }

    private void Append(string line) => _log.Append(line);

    private sealed class LogWriter(L1Fixture fixture) : TextWriter
    {
        private readonly StringBuilder _line = new();

        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value)
        {
            if (value == '\n')
            {
                fixture.Append(_line.ToString());
                _line.Clear();
            }
            else
            {
                _line.Append(value);
            }
        }
    }
}
