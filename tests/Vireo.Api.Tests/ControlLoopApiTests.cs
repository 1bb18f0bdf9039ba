using System.Text.Json;
using Vireo.Devices;
using Vireo.Kvm;
using Vireo.Memory;
using Vireo.TestSupport;
using Vireo.Vmm.X86;

namespace Vireo.Api.Tests;

/// <summary>The API in front of a real control loop and real vCPUs.</summary>
public sealed class ControlLoopApiTests
{
    private static readonly PioAddress s_flagPort = new(0x530);

    [KvmFact]
    public async Task The_api_socket_and_an_open_event_stream_survive_guest_reboots_with_restart()
    {
        using KvmSystem kvm = KvmSystem.Open();
        int builds = 0;
        GateDevice? current = null; // the running boot's gate
        BuiltMachine Build()
        {
            builds++;
            BuiltMachine built = MachineBuilder.BuildBare(kvm, new MachineConfig { MemoryBytes = 2UL << 20, Cpus = 1, InKernelIrqchip = false });
            var gate = new GateDevice();
            Volatile.Write(ref current, gate);
            built.Machine.Pio.Insert(s_flagPort, 1, gate, "reboot gate");
            // l: in al, dx; test al, al; jz l; ud2 (no IDT: a triple fault, which is a reboot)
            byte[] code = [0x66, 0xba, 0x30, 0x05, 0xec, 0x84, 0xc0, 0x74, 0xfb, 0x0f, 0x0b];
            LongModeSetup.WriteTables(built.Machine.Memory);
            built.Machine.Memory.Write(new GuestAddress(0x10000), code);
            LongModeSetup.StartAt(built.Machine.Vcpus[0].Vcpu, new GuestAddress(0x10000), stack: 0x8000);
            return built;
        }
        using var directory = new TempDirectory();
        using var loop = new ControlLoop(Build, new VmDescription(1, 2UL << 20, null, null), new ControlLoopOptions { RestartOnReboot = true });
        await using ApiServer server = await ApiServer.StartAsync(directory.SocketPath, loop);
        using var client = new ApiClient(server.SocketPath, TestApi.Timeout);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using ApiEventStream stream = await client.OpenEventsAsync(cancel.Token);
        await using IAsyncEnumerator<string> lines = stream.ReadLinesAsync(cancel.Token).GetAsyncEnumerator(cancel.Token);
        loop.Start();

        Assert.Equal("booted", await NextEventAsync(lines));
        Assert.Equal(VmState.Running, (await client.GetInfoAsync(cancel.Token)).State);
        Volatile.Read(ref current)!.Open();
        Assert.Equal("shutdown", await NextEventAsync(lines));
        Assert.Equal("booted", await NextEventAsync(lines));
        // The same socket, the same client, after the reboot.
        Assert.Equal(VmState.Running, (await client.GetInfoAsync(cancel.Token)).State);
        Volatile.Read(ref current)!.Open();
        Assert.Equal("shutdown", await NextEventAsync(lines));
        Assert.Equal("booted", await NextEventAsync(lines));
        await client.ShutdownAsync(force: true, cancel.Token);
        Assert.Equal("shutdown", await NextEventAsync(lines));
        Assert.False(await lines.MoveNextAsync(), "the stream ends with the VM");

        VmmResult result = await loop.Completion;
        Assert.Equal(MachineExitReason.Stopped, result.Exit.Reason);
        Assert.Equal(3, result.Boots);
        Assert.Equal(3, builds);
    }

    private static async Task<string> NextEventAsync(IAsyncEnumerator<string> lines)
    {
        Assert.True(await lines.MoveNextAsync(), "the event stream ended early");
        using var json = JsonDocument.Parse(lines.Current);
        return json.RootElement.GetProperty("event").GetString()!;
    }

    /// <summary>Reads 0 until opened, then 1.</summary>
    private sealed class GateDevice : IBusDevice
    {
        private volatile bool _open;

        public void Open() => _open = true;

        public void Read(ulong offset, Span<byte> data) => data[0] = _open ? (byte)1 : (byte)0;

        public void Write(ulong offset, ReadOnlySpan<byte> data)
        {
        }
    }
}
