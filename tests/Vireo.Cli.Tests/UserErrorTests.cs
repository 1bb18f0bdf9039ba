using System.Reflection;
using Vireo.Api;
using Vireo.Cli.Common;
using Vireo.Devices;
using Vireo.Kvm;
using Vireo.Loader;
using Vireo.Memory;
using Vireo.Sys;
using Vireo.VfioUser;

namespace Vireo.Cli.Tests;

/// <summary>The CLI boundary's contract (issue 10 "Errors"): a user error is one line on stderr
/// with exit 1 (2 for usage); anything else is a bug, printed with its stack, exit 70.</summary>
public sealed class UserErrorTests
{
    /// <summary>One instance of every user-facing exception type, made as the code that throws
    /// it makes it.</summary>
    private static Exception[] Samples() =>
    [
        new ErrnoException(Errno.ENOENT, "open /dev/kvm"),
        new ConfinementException("Vireo's seccomp filters know x86-64 syscall numbers only and this host is Arm64: run with --seccomp off"),
        new KvmUnavailableException("this host's KVM has no KVM_CAP_COALESCED_PIO: run `vireo bench exits` without --coalesced"),
        new GuestMemoryException(new GuestAddress(0x7fff_f000), 0x2000, "is outside its region"),
        new BusConflictException("pio 0x3f8..0x3ff (serial) overlaps 0x3f8..0x3ff (serial)"),
        new KernelImageException("/tmp/k is not a bzImage (no HdrS magic)"),
        new VfioUserException(Errno.EINVAL, "region 9 does not exist"),
        new VfioUserDisconnectedException("the peer closed the connection"),
        new ApiClientException("no Vireo API at /tmp/s: is `vireo run --api-socket /tmp/s` running?"),
        new UsageException("run: --cpus was given twice (2, 3); give it once"),
        new Vireo.Vmm.MachineBuildException("invalid machine configuration: memory must be a multiple of 2 MiB"),
        new Vireo.Vmm.ResourceConflictException("wake GPE wants Gpe 2 (wake GPE), which overlaps Gpe 0-15 (host GPEs (vm.gpe))"),
        new KvmVgicStateException("entry 3 is group 1 attr 0x4, where this GIC has group 1 attr 0x80"),
        new Vireo.Vmm.SnapshotException("/tmp/snap holds no snapshot (no vm.json; a snapshot that failed half way has none)"),
    ];

    [Fact]
    public void EveryUserFacingExceptionTypeIsSampledHere()
    {
        Assembly[] assemblies =
        [
            typeof(VireoException).Assembly, typeof(KvmSystem).Assembly, typeof(GuestAddress).Assembly,
            typeof(BusConflictException).Assembly, typeof(KernelImageException).Assembly, typeof(VfioUserException).Assembly,
            typeof(Vireo.Vmm.LinuxVmConfig).Assembly, typeof(ApiClientException).Assembly, typeof(UsageException).Assembly,
            typeof(CommandLine).Assembly, typeof(Vireo.Pci.PciConfigSpace).Assembly, typeof(Vireo.Acpi.IAcpiTable).Assembly,
            typeof(Vireo.SampleDevice.AcceleratorDevice).Assembly,
        ];
        string[] declared = [.. assemblies.Distinct()
            .SelectMany(a => a.GetTypes())
            .Where(t => typeof(VireoException).IsAssignableFrom(t) && !t.IsAbstract)
            .Select(t => t.FullName!)
            .Order()];

        Assert.Equal(declared, Samples().Select(e => e.GetType().FullName!).Order());
    }

    [Fact]
    public async Task EachIsOneLineWithoutAStack()
    {
        foreach (Exception error in Samples())
        {
            var stderr = new StringWriter();

            int status = await CliRunner.GuardAsync("vireo", () => throw error, stderr);

            Assert.Equal(error is UsageException ? 2 : 1, status);
            Assert.Equal($"vireo: {error.Message}{Environment.NewLine}", stderr.ToString());
            Assert.DoesNotContain('\n', error.Message);
        }
    }

    [Fact]
    public async Task AMessageFromBelowWithLineBreaksStillPrintsAsOneLine()
    {
        var stderr = new StringWriter();

        int status = await CliRunner.GuardAsync("vireo", () => throw new KernelImageException("first\n  second"), stderr);

        Assert.Equal(1, status);
        Assert.Equal($"vireo: first second{Environment.NewLine}", stderr.ToString());
    }

    [Fact]
    public async Task ABugIsReportedWithItsStackAndStatus70()
    {
        var stderr = new StringWriter();

        int status = await CliRunner.GuardAsync("vireo", () => throw new InvalidOperationException("the bus lost a device"), stderr);

        Assert.Equal(70, status);
        Assert.Contains("internal error, a bug in Vireo", stderr.ToString());
        Assert.Contains("System.InvalidOperationException: the bus lost a device", stderr.ToString());
        Assert.Contains(" at ", stderr.ToString());
    }

    [Fact]
    public async Task AFileErrorIsOneLineNamingThePath()
    {
        var stderr = new StringWriter();

        int status = await CommandLine.RunAsync(["acpi", "dump", "--out", "/dev/null/tables"], new StringWriter(), stderr);

        Assert.Equal(1, status);
        Assert.Single(stderr.ToString().TrimEnd('\n').Split('\n'));
        Assert.Contains("/dev/null/tables", stderr.ToString());
    }

    [Fact]
    public async Task AnUnreachableApiIsOneLineNamingTheFix()
    {
        string socket = Path.Combine(Path.GetTempPath(), $"vireo-no-api-{Guid.NewGuid():N}.sock");
        var stderr = new StringWriter();

        int status = await CommandLine.RunAsync(["remote", "--api-socket", socket, "ping"], new StringWriter(), stderr);

        Assert.Equal(1, status);
        Assert.Equal($"vireo: remote ping: no Vireo API at {socket}: is `vireo run --api-socket {socket}` running?", stderr.ToString().TrimEnd('\n'));
    }
}
