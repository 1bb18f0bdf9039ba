using Vireo.Devices;
using Vireo.Pci;
using Vireo.Virtio;

namespace Vireo.Vmm.Tests;

/// <summary>Host keystrokes for hvc0, and the machine's console wiring: the host console's
/// input goes to the virtio console when the machine has one, and both devices' output reaches
/// the host console.</summary>
public sealed class VirtioConsoleInputTests
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(10);

    [Fact]
    public void Keystrokes_go_to_the_device_and_the_receive_queue_is_served_after_each_offer()
    {
        var device = new VirtioConsole(null);
        int served = 0;
        using var input = new VirtioConsoleInput(device, () => served++);

        input.Send("ls\n"u8);

        Assert.Equal(3, device.PendingInput);
        Assert.Equal(1, served);
        Assert.Equal(0, input.Pending);
        Assert.Equal(0, input.Dropped);
    }

    [Fact]
    public void What_the_device_has_no_room_for_waits_here_uncounted_and_goes_in_once_there_is_room()
    {
        var device = new VirtioConsole(null);
        using var input = new VirtioConsoleInput(device, () => { });
        byte[] paste = new byte[VirtioConsole.InputCapacity + 1000];
        paste.AsSpan().Fill((byte)'x');

        input.Send(paste);

        Assert.Equal(VirtioConsole.InputCapacity, device.PendingInput);
        Assert.Equal(1000, input.Pending);
        Assert.Equal(0, input.Dropped);
        Assert.Equal(0, Counter(device, "rx_dropped"));

        // The driver takes what the device held (a reset empties it the same way, by the counter's account).
        device.Reset();
        long dropped = Counter(device, "rx_dropped");
        Assert.True(SpinWait.SpinUntil(() => input.Pending == 0, s_wait), "the held bytes were never offered again");
        Assert.Equal(1000, device.PendingInput);
        Assert.Equal(dropped, Counter(device, "rx_dropped"));
    }

    [Fact]
    public void Asleep_it_holds_keystrokes_and_wake_delivers_them()
    {
        var device = new VirtioConsole(null);
        int served = 0;
        using var input = new VirtioConsoleInput(device, () => served++);

        input.Sleep();
        input.Send("abc"u8);

        Assert.Equal(0, device.PendingInput);
        Assert.Equal(0, served);
        Assert.Equal("abc"u8.ToArray(), (byte[])input.Snapshot());

        input.Wake();

        Assert.Equal(3, device.PendingInput);
        Assert.Equal(1, served);
    }

    [Fact]
    public void A_machine_with_a_virtio_console_gives_it_the_host_input_and_the_same_output_as_com1()
    {
        using VirtioMachineFunction function = PciDeviceFactory.CreateConsole("console0");
        var config = new LinuxVmConfig { KernelPath = "/k", PciFunctions = [new PciAttachment(function)] };
        var output = new List<byte>();
        Action<ReadOnlySpan<byte>> sink = bytes => output.AddRange(bytes.ToArray());
        var uart = new Serial8250(new NoInterruptLine(), sink);
        var owned = new List<IDisposable>();

        IConsoleInput input = MachineBuilder.ConnectConsole(config, uart, sink, owned);
        try
        {
            VirtioConsoleInput hvc = Assert.IsType<VirtioConsoleInput>(input);
            input.Send("x"u8);
            Assert.Equal(1, ((VirtioConsole)function.Device).PendingInput);
            // The guest's emergency write (a character to emerg_wr) reaches the host console.
            function.Device.WriteConfig(VirtioConsoleConfig.EmergencyWriteOffset, "!"u8);
            Assert.Equal("!"u8.ToArray(), output.ToArray());
            Assert.Contains(hvc, owned);
        }
        finally
        {
            owned.ForEach(o => o.Dispose());
        }
    }

    [Fact]
    public void A_machine_without_one_feeds_com1()
    {
        var uart = new Serial8250(new NoInterruptLine(), null);
        var owned = new List<IDisposable>();

        IConsoleInput input = MachineBuilder.ConnectConsole(new LinuxVmConfig { KernelPath = "/k" }, uart, _ => { }, owned);
        try
        {
            Assert.IsType<ConsoleInputPump>(input);
        }
        finally
        {
            owned.ForEach(o => o.Dispose());
        }
    }

    private static long Counter(VirtioConsole device, string name) => device.ReadCounters().Single(c => c.Key == name).Value;
}
