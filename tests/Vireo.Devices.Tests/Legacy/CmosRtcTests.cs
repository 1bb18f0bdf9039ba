namespace Vireo.Devices.Tests;

public sealed class CmosRtcTests
{
    // Register indices as in Linux's include/linux/mc146818rtc.h.
    private const byte Seconds = 0x00, Minutes = 0x02, Hours = 0x04, DayOfWeek = 0x06, DayOfMonth = 0x07;
    private const byte Month = 0x08, Year = 0x09, RegA = 0x0a, RegB = 0x0b, RegC = 0x0c, RegD = 0x0d, Century = 0x32;
    private const byte Uip = 0x80, Set = 0x80, Binary = 0x04, TwentyFourHour = 0x02;

    // A Tuesday afternoon.
    private DateTimeOffset _now = new(2024, 7, 9, 15, 4, 5, TimeSpan.Zero);
    private readonly CmosRtc _rtc;

    public CmosRtcTests()
    {
        _rtc = new CmosRtc(() => _now);
    }

    [Fact]
    public void ReadsAFixedDateInBcd()
    {
        Assert.Equal(TwentyFourHour, Read(RegB));
        Assert.Equal([0x05, 0x04, 0x15, 0x03, 0x09, 0x07, 0x24, 0x20], ReadDate());
    }

    [Fact]
    public void ReadsAFixedDateInBinary()
    {
        Write(RegB, TwentyFourHour | Binary);
        Assert.Equal([5, 4, 15, 3, 9, 7, 24, 20], ReadDate());
    }

    [Theory]
    [InlineData(15, 0x83)]
    [InlineData(0, 0x12)]
    [InlineData(12, 0x92)]
    [InlineData(11, 0x11)]
    public void TwelveHourModeMarksPm(int hour, byte expected)
    {
        _now = new DateTimeOffset(2024, 7, 9, hour, 0, 0, TimeSpan.Zero);
        Write(RegB, 0);
        Assert.Equal(expected, Read(Hours));
    }

    [Fact]
    public void NmiDisableBitIsNotPartOfTheIndex()
    {
        Write(0x80 | Minutes, 0x04);
        _rtc.Write(0, [0x80 | Seconds]);
        Span<byte> data = stackalloc byte[1];
        _rtc.Read(1, data);
        Assert.Equal(0x05, data[0]);
        Assert.Equal(0x80 | Seconds, _rtc.GetState().Index);
    }

    [Fact]
    public void StatusRegistersReadAsValidWithNoInterruptFlags()
    {
        Assert.Equal(0x26, Read(RegA));
        Assert.Equal(0x00, Read(RegC));
        Assert.Equal(0x80, Read(RegD));
    }

    [Fact]
    public void UipIsSetOnlyJustBeforeASecondBoundary()
    {
        _now = _now.AddTicks(TimeSpan.TicksPerSecond - 1000);
        Assert.Equal(Uip, Read(RegA) & Uip);
        _now = _now.AddTicks(-2000);
        Assert.Equal(0, Read(RegA) & Uip);
        _now = _now.AddTicks(3000);
        Assert.Equal(0, Read(RegA) & Uip);
    }

    [Fact]
    public void UipStaysClearWhileUpdatesAreHalted()
    {
        _now = _now.AddTicks(TimeSpan.TicksPerSecond - 1000);
        Write(RegB, Set | TwentyFourHour);
        Assert.Equal(0, Read(RegA) & Uip);
    }

    /// <summary>
    /// mc146818_avoid_UIP(): read seconds, retry while UIP is set, then confirm UIP clear and the
    /// seconds unchanged. Each access takes 100 µs here, starting inside the UIP window.
    /// </summary>
    [Fact]
    public void LinuxUipLoopTerminatesWithConsistentTime()
    {
        _now = _now.AddTicks(TimeSpan.TicksPerSecond - 2000);
        byte[] time = [];
        int attempts = 0;
        for (; attempts < 100; attempts++)
        {
            byte seconds = TimedRead(Seconds);
            if ((TimedRead(RegA) & Uip) != 0)
            {
                continue;
            }
            if (seconds != TimedRead(Seconds))
            {
                continue;
            }
            time = [TimedRead(Minutes), TimedRead(Hours)];
            if ((TimedRead(RegA) & Uip) != 0 || seconds != TimedRead(Seconds))
            {
                continue;
            }
            time = [seconds, .. time];
            break;
        }

        Assert.InRange(attempts, 1, 99);
        Assert.Equal([0x06, 0x04, 0x15], time);
    }

    [Fact]
    public void GuestSetsTimeWithTheSetBitAndTheClockRunsOnFromThere()
    {
        Write(RegB, Set | TwentyFourHour);
        Assert.Equal(0x05, Read(Seconds));
        _now = _now.AddSeconds(30);
        // Frozen while SET holds the counters.
        Assert.Equal(0x05, Read(Seconds));
        Write(Seconds, 0x00);
        Write(Minutes, 0x30);
        Write(Hours, 0x08);
        Write(DayOfMonth, 0x01);
        Write(Month, 0x01);
        Write(Year, 0x99);
        Write(Century, 0x19);
        Write(RegB, TwentyFourHour);
        _now = _now.AddSeconds(61);

        Assert.Equal([0x01, 0x31, 0x08, 0x06, 0x01, 0x01, 0x99, 0x19], ReadDate());
        Assert.Equal(new DateTime(1999, 1, 1, 8, 30, 0) - new DateTime(2024, 7, 9, 15, 4, 35), _rtc.GetState().ClockOffset);
    }

    [Fact]
    public void WritingOneFieldOfARunningClockMovesOnlyThatField()
    {
        Write(Minutes, 0x59);
        Assert.Equal([0x05, 0x59, 0x15, 0x03, 0x09, 0x07, 0x24, 0x20], ReadDate());
        Write(Month, 0x13);
        Assert.Equal(0x07, Read(Month));
    }

    [Fact]
    public void VmmSetsMemorySizesWhereFirmwareLooks()
    {
        _rtc.SetMemorySizes(belowFourGiB: 0xc000_0000, aboveFourGiB: 0x1_4000_0000);

        Assert.Equal(0x80, _rtc.ReadMemory(0x15));
        Assert.Equal(0x02, _rtc.ReadMemory(0x16));
        Assert.Equal(0xff, _rtc.ReadMemory(0x17));
        Assert.Equal(0xff, _rtc.ReadMemory(0x31));
        // (3 GiB - 16 MiB) / 64 KiB = 0xbf00.
        Assert.Equal(0x00, Read(0x34));
        Assert.Equal(0xbf, Read(0x35));
        // 5 GiB / 64 KiB = 0x014000.
        Assert.Equal([0x00, 0x40, 0x01], new[] { Read(0x5b), Read(0x5c), Read(0x5d) });
        _rtc.WriteMemory(0x5f, 3);
        Assert.Equal(3, Read(0x5f));
        Assert.Throws<ArgumentOutOfRangeException>(() => _rtc.WriteMemory(Century, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => _rtc.WriteMemory(RegB, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => _rtc.ReadMemory(0x80));
    }

    [Fact]
    public void StateRoundTrips()
    {
        Write(RegB, TwentyFourHour | Binary);
        Write(Hours, 3);
        Write(0x40, 0x77);
        _rtc.Write(0, [0x8f]);
        CmosRtcState state = _rtc.GetState();

        var restored = CmosRtc.FromState(state, () => _now);

        Assert.Equal(state, restored.GetState());
        Span<byte> data = stackalloc byte[1];
        restored.Write(0, [Hours]);
        restored.Read(1, data);
        Assert.Equal(3, data[0]);
        Assert.Throws<ArgumentException>(() => CmosRtc.FromState(state with { Memory = new byte[64] }, () => _now));
    }

    private byte[] ReadDate()
        => [Read(Seconds), Read(Minutes), Read(Hours), Read(DayOfWeek), Read(DayOfMonth), Read(Month), Read(Year), Read(Century)];

    private byte TimedRead(byte index)
    {
        _now = _now.AddTicks(1000);
        return Read(index);
    }

    private byte Read(byte index)
    {
        _rtc.Write(0, [index]);
        Span<byte> data = stackalloc byte[1];
        _rtc.Read(1, data);
        return data[0];
    }

    private void Write(byte index, byte value) => _rtc.Write(0, [index, value]);
}
