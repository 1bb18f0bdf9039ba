using Vireo.Devices;

namespace Vireo.Vmm.Tests.Control;

/// <summary>The device power interface: what sleeping means for each device.</summary>
public sealed class SuspendableTests
{
    private const byte IerReceivedData = 0x01; // 16550 IER bit 0
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public void Console_input_typed_while_asleep_waits_and_is_delivered_in_order_after_wake()
    {
        var uart = new Serial8250(new NoInterruptLine(), null);
        uart.Write(1, [IerReceivedData]); // the guest opened its console: it takes input
        using var pump = new ConsoleInputPump(uart);

        pump.Sleep();
        pump.Send("ab"u8);
        Thread.Sleep(50);
        Assert.Empty(uart.GetState().ReceiveFifo);
        Assert.Equal("ab"u8.ToArray(), (byte[])pump.Snapshot());

        pump.Wake();
        WaitUntil(() => uart.GetState().ReceiveFifo.Length == 2);
        Assert.Equal("ab"u8.ToArray(), uart.GetState().ReceiveFifo);
        Assert.Empty((byte[])pump.Snapshot());
    }

    [Fact]
    public void Console_input_longer_than_the_fifo_arrives_whole_with_no_overrun_reported_to_the_guest()
    {
        // A regression: the pump offered 64 bytes to a 16-byte FIFO, and the UART flagged an
        // overrun for the bytes the pump kept and sent later ("ttyS0: 1 input overrun(s)").
        var uart = new Serial8250(new NoInterruptLine(), null);
        uart.Write(1, [IerReceivedData]);
        using var pump = new ConsoleInputPump(uart);
        byte[] typed = Enumerable.Range(0, 200).Select(i => (byte)('a' + (i % 26))).ToArray();
        var received = new List<byte>();
        bool overrun = false;

        pump.Send(typed);
        var deadline = DateTime.UtcNow + s_timeout;
        byte[] one = new byte[1];
        while (received.Count < typed.Length && DateTime.UtcNow < deadline)
        {
            uart.Read(5, one); // LSR
            overrun |= (one[0] & 0x02) != 0;
            if ((one[0] & 0x01) != 0)
            {
                uart.Read(0, one);
                received.Add(one[0]);
            }
            else
            {
                Thread.Sleep(1);
            }
        }

        Assert.Equal(typed, received);
        Assert.False(overrun, "the guest saw LSR OE");
        Assert.Equal(0, uart.RxDropped);
    }

    [Fact]
    public void Every_platform_device_snapshots_its_state_record_and_sleeping_changes_nothing_the_guest_sees()
    {
        var uart = new Serial8250(new NoInterruptLine(), null);
        uart.Write(7, [0x5a]); // scratch register
        var rtc = new CmosRtc(() => DateTimeOffset.UnixEpoch);
        var i8042 = new I8042(new NoInterruptLine());
        using var pm = new AcpiPmDevice(new NoInterruptLine());
        pm.RaiseGpe(3);
        ISuspendable[] devices = [uart, rtc, i8042, pm];
        object[] before = [uart.GetState(), rtc.GetState(), i8042.GetState(), pm.GetState() with { TimerValue = 0 }];

        foreach (ISuspendable device in devices)
        {
            device.Sleep();
        }
        foreach (ISuspendable device in devices.Reverse())
        {
            device.Wake();
        }

        object[] after = [.. devices.Select(d => d.Snapshot() is AcpiPmState s ? s with { TimerValue = 0 } : d.Snapshot())];
        Assert.Equal(before, after);
        Assert.All(devices, d => Assert.False(string.IsNullOrEmpty(d.PowerName)));
    }

    private static void WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + s_timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            Thread.Sleep(1);
        }
    }
}
