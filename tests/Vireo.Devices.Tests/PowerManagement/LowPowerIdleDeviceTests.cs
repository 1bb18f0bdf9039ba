using Vireo.Memory;

namespace Vireo.Devices.Tests.PowerManagement;

public sealed class LowPowerIdleDeviceTests
{
    private static readonly PioAddress s_port = new(0x630);

    // The code bytes the AML writes, spelled out independently of the encoder: family in the
    // high nibble (1 Intel, 2 AMD, 3 Microsoft), function in the low one.
    public static TheoryData<byte, LowPowerIdleFamily, LowPowerIdleFunction> Codes => new()
    {
        { 0x11, LowPowerIdleFamily.Intel, LowPowerIdleFunction.DisplayOff },
        { 0x12, LowPowerIdleFamily.Intel, LowPowerIdleFunction.DisplayOn },
        { 0x13, LowPowerIdleFamily.Intel, LowPowerIdleFunction.Entry },
        { 0x14, LowPowerIdleFamily.Intel, LowPowerIdleFunction.Exit },
        { 0x21, LowPowerIdleFamily.Amd, LowPowerIdleFunction.DisplayOff },
        { 0x22, LowPowerIdleFamily.Amd, LowPowerIdleFunction.DisplayOn },
        { 0x23, LowPowerIdleFamily.Amd, LowPowerIdleFunction.Entry },
        { 0x24, LowPowerIdleFamily.Amd, LowPowerIdleFunction.Exit },
        { 0x35, LowPowerIdleFamily.Microsoft, LowPowerIdleFunction.SleepEntry },
        { 0x36, LowPowerIdleFamily.Microsoft, LowPowerIdleFunction.SleepExit },
    };

    [Theory]
    [MemberData(nameof(Codes))]
    public void AByteWriteOfACodeRaisesItsEvent(byte code, LowPowerIdleFamily family, LowPowerIdleFunction function)
    {
        var device = new LowPowerIdleDevice(s_port);
        var seen = new List<LowPowerIdleEvent>();
        device.Notified += seen.Add;

        device.Write(LowPowerIdleDevice.CodeOffset, [code]);

        Assert.Equal([new LowPowerIdleEvent(family, function)], seen);
        Assert.Equal(code, seen[0].Code);
        Assert.Equal(1, device.Notifications);
        Assert.Equal(0, device.IgnoredWrites);
    }

    [Fact]
    public void EveryByteValueEitherDecodesOrIsCountedAndDropped()
    {
        var device = new LowPowerIdleDevice(s_port);
        var seen = new List<LowPowerIdleEvent>();
        device.Notified += seen.Add;

        for (int value = 0; value <= byte.MaxValue; value++)
        {
            device.Write(LowPowerIdleDevice.CodeOffset, [(byte)value]);
        }

        // Families 1-3 times functions 1-6.
        Assert.Equal(18, seen.Count);
        Assert.Equal(18, device.Notifications);
        Assert.Equal(256 - 18, device.IgnoredWrites);
        Assert.All(seen, e => Assert.True(e.Code >> 4 is >= 1 and <= 3 && (e.Code & 0xF) is >= 1 and <= 6, e.ToString()));
    }

    [Theory]
    [InlineData(0UL, 2)]
    [InlineData(0UL, 4)]
    [InlineData(0UL, 8)]
    [InlineData(1UL, 1)]
    [InlineData(2UL, 2)]
    [InlineData(3UL, 1)]
    [InlineData(4UL, 1)]
    [InlineData(ulong.MaxValue, 1)]
    public void WritesOfTheWrongWidthOrOffsetAreCountedAndDropped(ulong offset, int width)
    {
        var device = new LowPowerIdleDevice(s_port);
        int raised = 0;
        device.Notified += _ => raised++;
        byte[] data = new byte[width];
        Array.Fill(data, (byte)0x13);

        device.Write(offset, data);

        Assert.Equal(0, raised);
        Assert.Equal(1, device.IgnoredWrites);
        Assert.Equal(0, device.Notifications);
    }

    [Fact]
    public void AnEmptyWriteIsCountedAndDropped()
    {
        var device = new LowPowerIdleDevice(s_port);
        device.Write(0, ReadOnlySpan<byte>.Empty);
        Assert.Equal(1, device.IgnoredWrites);
    }

    [Theory]
    [InlineData(0UL, 1)]
    [InlineData(0UL, 4)]
    [InlineData(2UL, 2)]
    [InlineData(3UL, 1)]
    public void ReadsReturnZeroAndChangeNothing(ulong offset, int width)
    {
        var device = new LowPowerIdleDevice(s_port);
        device.Write(0, [0x13]);
        byte[] data = new byte[width];
        Array.Fill(data, (byte)0xAA);

        device.Read(offset, data);

        Assert.All(data, b => Assert.Equal(0, b));
        Assert.Equal(1, device.Notifications);
        Assert.Equal(0, device.IgnoredWrites);
    }

    [Fact]
    public void OnThePortBusOnlyByteWritesAtItsFirstPortNotify()
    {
        var bus = new Bus<PioAddress>("pio");
        var device = new LowPowerIdleDevice(s_port);
        var seen = new List<LowPowerIdleEvent>();
        device.Notified += seen.Add;
        bus.Insert(device.Port, LowPowerIdleDevice.WindowLength, device, "lps0");

        Assert.True(bus.Write(new PioAddress(0x630), [0x23]));
        Assert.True(bus.Write(new PioAddress(0x630), [0x24, 0, 0, 0]));
        Assert.True(bus.Write(new PioAddress(0x632), [0x23]));
        // Straddling the window's end never reaches the device.
        Assert.False(bus.Write(new PioAddress(0x633), [0x23, 0]));
        Span<byte> read = stackalloc byte[4];
        Assert.True(bus.Read(new PioAddress(0x630), read));

        Assert.Equal([new LowPowerIdleEvent(LowPowerIdleFamily.Amd, LowPowerIdleFunction.Entry)], seen);
        Assert.Equal(2, device.IgnoredWrites);
        Assert.Equal(0u, BitConverter.ToUInt32(read));
    }

    [Fact]
    public void TheWindowMustFitInThePortSpace()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new LowPowerIdleDevice(new PioAddress(0xFFFD)));
        Assert.Equal(new PioAddress(0xFFFC), new LowPowerIdleDevice(new PioAddress(0xFFFC)).Port);
    }

    [Fact]
    public void EventsEncodeAndDecodeSymmetrically()
    {
        foreach (LowPowerIdleFamily family in Enum.GetValues<LowPowerIdleFamily>())
        {
            foreach (LowPowerIdleFunction function in Enum.GetValues<LowPowerIdleFunction>())
            {
                var e = new LowPowerIdleEvent(family, function);
                Assert.True(LowPowerIdleEvent.TryDecode(e.Code, out LowPowerIdleEvent back));
                Assert.Equal(e, back);
            }
        }
        Assert.False(LowPowerIdleEvent.TryDecode(0x00, out _));
        Assert.False(LowPowerIdleEvent.TryDecode(0x17, out _));
        Assert.False(LowPowerIdleEvent.TryDecode(0x43, out _));
        Assert.Equal("Intel Entry (0x13)", new LowPowerIdleEvent(LowPowerIdleFamily.Intel, LowPowerIdleFunction.Entry).ToString());
    }
}
