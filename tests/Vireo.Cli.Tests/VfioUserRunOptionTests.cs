using Vireo.Memory;
using Vireo.Pci;
using Vireo.Sys;
using Vireo.TestSupport;
using Vireo.Vmm;

namespace Vireo.Cli.Tests;

/// <summary>`vireo run --vfio-user SOCKET[,id=NAME][,slot=N]`: parsing, its errors, and what
/// run does with the devices before any VM exists.</summary>
public sealed class VfioUserRunOptionTests
{
    [Fact]
    public void Each_vfio_user_option_is_one_device_with_an_id_by_position_unless_named_and_an_optional_slot()
    {
        RunOptions options = RunOptions.Parse(
            ["--vfio-user", "/run/a.sock", "--vfio-user", "/run/b.sock,id=nvme-0,slot=7", "--vfio-user", "/run/c.sock,slot=3", "--vfio-user", "/run/d.sock,slot=4,id=x_1"]);

        Assert.Equal(
            [
                new VfioUserDeviceOption("/run/a.sock", "vfio-user0", null),
                new VfioUserDeviceOption("/run/b.sock", "nvme-0", 7),
                new VfioUserDeviceOption("/run/c.sock", "vfio-user2", 3),
                new VfioUserDeviceOption("/run/d.sock", "x_1", 4),
            ],
            options.VfioUserDevices);
        Assert.Empty(RunOptions.Parse([]).VfioUserDevices);
    }

    [Fact]
    public void The_devices_become_the_machines_pci_functions_in_order_with_their_slots()
    {
        var a = new EchoPciFunction("a");
        var b = new EchoPciFunction("b");
        RunOptions options = RunOptions.Parse(["--vfio-user", "/a", "--vfio-user", "/b,slot=9"]);

        LinuxVmConfig config = options.ToConfig("k", null, [new PciAttachment(a, options.VfioUserDevices[0].Slot), new PciAttachment(b, options.VfioUserDevices[1].Slot)]);

        Assert.Equal([(a, (int?)null), (b, 9)], config.PciFunctions.Select(p => (p.Function, p.Slot)));
        // Asked for nothing, RAM stays private: the builder makes it shared if a device needs it.
        Assert.Equal(GuestMemoryBacking.Private, config.MemoryBacking);
    }

    [Theory]
    [InlineData("--vfio-user takes SOCKET[,id=NAME][,slot=N] (the device server's socket first), not ''", "")]
    [InlineData("--vfio-user takes SOCKET[,id=NAME][,slot=N] (the device server's socket first), not ',id=a'", ",id=a")]
    [InlineData("--vfio-user id '' must be 1 to 32 letters, digits, '-' or '_'", "/s,id=")]
    [InlineData("--vfio-user id 'a b' must be 1 to 32 letters, digits, '-' or '_'", "/s,id=a b")]
    [InlineData("--vfio-user id 'a23456789012345678901234567890123' must be", "/s,id=a23456789012345678901234567890123")]
    [InlineData("--vfio-user slot '0' must be a PCI slot from 1 to 31 (0 is the host bridge's)", "/s,slot=0")]
    [InlineData("--vfio-user slot '32' must be", "/s,slot=32")]
    [InlineData("--vfio-user slot '+3' must be", "/s,slot=+3")]
    [InlineData("--vfio-user slot 'three' must be", "/s,slot=three")]
    [InlineData("--vfio-user takes SOCKET[,id=NAME][,slot=N]; 'color=red' in '/s,color=red' is none of id=NAME or slot=N", "/s,color=red")]
    [InlineData("--vfio-user takes SOCKET[,id=NAME][,slot=N]; 'id' in '/s,id' is none", "/s,id")]
    [InlineData("--vfio-user '/s,id=a,id=b' gives id= twice", "/s,id=a,id=b")]
    [InlineData("--vfio-user '/s,slot=1,slot=1' gives slot= twice", "/s,slot=1,slot=1")]
    [InlineData("--vfio-user id 'x' is given twice; give each device its own id=NAME", "/a,id=x", "/b,id=x")]
    [InlineData("--vfio-user id 'vfio-user1' is given twice", "/a,id=vfio-user1", "/b")]
    [InlineData("--vfio-user slot 3 is given twice", "/a,slot=3", "/b,slot=3")]
    [InlineData("--vfio-user socket /a is given twice; a device server serves one VMM", "/a", "/a,id=other")]
    public async Task A_bad_vfio_user_value_is_a_usage_error_that_says_what_is_wrong(string expected, params string[] values)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        int status = await CommandLine.RunAsync(["run", .. values.SelectMany(v => new[] { "--vfio-user", v })], stdout, stderr);

        Assert.Equal(2, status);
        Assert.Empty(stdout.ToString());
        Assert.StartsWith($"vireo: run: {expected}", stderr.ToString());
        Assert.Single(stderr.ToString().TrimEnd('\n').Split('\n'));
    }

    [Theory]
    [InlineData("unexpected argument '/b'", "run", "--vfio-user", "/a", "/b")]
    [InlineData("--vfio-user needs a value", "run", "--vfio-user")]
    public async Task Words_that_are_not_one_device_per_option_are_a_usage_error(string expected, params string[] args)
    {
        var stderr = new StringWriter();

        Assert.Equal(2, await CommandLine.RunAsync(args, new StringWriter(), stderr));
        Assert.StartsWith("vireo: run: ", stderr.ToString());
        Assert.Contains(expected, stderr.ToString());
    }

    [Fact]
    public async Task A_missing_socket_file_is_a_clear_error_before_any_vm_exists()
    {
        string missing = Path.Combine(Path.GetTempPath(), $"vireo-no-server-{Guid.NewGuid():N}.sock");
        var stderr = new StringWriter();

        int status = await CommandLine.RunAsync(["run", "--kernel", "/nonexistent/bzImage", "--vfio-user", $"{missing},id=dev"], new StringWriter(), stderr);

        Assert.Equal(1, status);
        Assert.Equal(
            $"vireo: no vfio-user server socket at {missing} (--vfio-user for dev): start the device server first (e.g. `vireo-device --socket {missing}`)\n",
            stderr.ToString());
    }

    [Fact]
    public async Task Run_help_describes_the_option()
    {
        var stdout = new StringWriter();

        Assert.Equal(0, await CommandLine.RunAsync(["run", "--help"], stdout, new StringWriter()));

        Assert.Contains("--vfio-user <SOCKET[,id=NAME][,slot=N]>", stdout.ToString());
        Assert.Contains("vireo remote devices", stdout.ToString());
    }

    [Fact]
    public void Devices_are_connected_in_order_and_if_one_fails_those_connected_are_released()
    {
        var made = new List<DisposableEcho>();
        IReadOnlyList<VfioUserDeviceOption> options = RunOptions.Parse(["--vfio-user", "/a", "--vfio-user", "/b,id=b", "--vfio-user", "/c"]).VfioUserDevices;
        IMachineBoundPciFunction Connect(string socket, string id)
        {
            if (socket == "/c")
            {
                throw new MachineBuildException($"cannot reach {id}");
            }
            var device = new DisposableEcho(id);
            made.Add(device);
            return device;
        }

        MachineBuildException e = Assert.Throws<MachineBuildException>(() => RunCommand.OpenDevices([.. options.Select(o => Open(() => Connect(o.Socket, o.Id), o.Slot))]));

        Assert.Equal("cannot reach vfio-user2", e.Message);
        Assert.Equal(["vfio-user0", "b"], made.Select(d => d.Id));
        Assert.All(made, d => Assert.True(d.Disposed));
        Assert.Equal(["vfio-user0", "b"], RunCommand.OpenDevices([.. options.Take(2).Select(o => Open(() => new DisposableEcho(o.Id), o.Slot))]).Select(d => d.Function.Id));
    }

    private static (Func<IMachineBoundPciFunction> Open, int? Slot) Open(Func<IMachineBoundPciFunction> open, int? slot) => (open, slot);


    /// <summary>Just enough of a bound function for the connect step, which only makes and releases.</summary>
    private sealed class DisposableEcho(string id) : IMachineBoundPciFunction, IDisposable
    {
        private readonly EchoPciFunction _echo = new(id);

        public bool Disposed { get; private set; }

        public string Id => _echo.Id;

        public IReadOnlyList<PciBarDescriptor> Bars => _echo.Bars;

        public int ConfigSize => _echo.ConfigSize;

        public string Backend => "test";

        public bool NeedsSharedMemory => false;

        public string InterruptMode => "none";

        public bool IsAlive => true;

        public void Bind(PciFunctionHost host) => throw new InvalidOperationException("never bound here");

        public void Unbind()
        {
        }

        public void ReadConfig(int offset, Span<byte> data) => _echo.ReadConfig(offset, data);

        public void WriteConfig(int offset, ReadOnlySpan<byte> data) => _echo.WriteConfig(offset, data);

        public void ReadBar(int index, ulong offset, Span<byte> data) => _echo.ReadBar(index, offset, data);

        public void WriteBar(int index, ulong offset, ReadOnlySpan<byte> data) => _echo.WriteBar(index, offset, data);

        public MappedMemory MapArea(int index, PciMmapArea area) => _echo.MapArea(index, area);

        public void MemoryBarPlaced(int index, MmioAddress? address) => _echo.MemoryBarPlaced(index, address);

        public void Dispose() => Disposed = true;
    }
}
