namespace Vireo.Devices;

/// <summary>
/// The MC146818 real-time clock and its CMOS RAM at ports 0x70 (index) and 0x71 (data). The
/// time is read from an injected clock plus an offset that guest writes move, so the guest may
/// set its own time and tests are deterministic. Time and date are BCD or binary and 24- or
/// 12-hour as register B says; register A's UIP bit is set for the 244 µs before each second
/// boundary, so Linux's read loop sees it and then sees it clear. No interrupts are generated
/// (register C reads as zero) and the divider chain bits are stored but do not stop the clock.
/// </summary>
/// <remarks>
/// Register layout and bits: Motorola MC146818A datasheet (address map, registers A-D). CMOS
/// bytes beyond the clock follow the IBM PC/AT Technical Reference and, for the memory sizes
/// above 16 MiB and 4 GiB, the convention SeaBIOS and QEMU share (SeaBIOS src/hw/rtc.h).
/// </remarks>
public sealed class CmosRtc : IBusDevice, ISuspendable
{
    /// <summary>Index port then data port.</summary>
    public const int PortCount = 2;

    /// <summary>Bytes of clock registers plus CMOS RAM behind the index port (PC/AT CMOS).</summary>
    public const int MemorySize = 128;

    // MC146818A address map.
    private const int RegSeconds = 0x00;
    private const int RegMinutes = 0x02;
    private const int RegHours = 0x04;
    private const int RegDayOfWeek = 0x06;
    private const int RegDayOfMonth = 0x07;
    private const int RegMonth = 0x08;
    private const int RegYear = 0x09;
    private const int RegA = 0x0a;
    private const int RegB = 0x0b;
    private const int RegC = 0x0c;
    private const int RegD = 0x0d;
    private const int FirstRamByte = 0x0e;

    // PC/AT convention (and the ACPI FADT CENTURY default): the century lives at 0x32.
    private const int RegCentury = 0x32;

    // Register A: UIP and the divider (DV2-0 = 010 is the 32.768 kHz time base).
    private const byte RegAUpdateInProgress = 0x80;
    private const byte RegADividerMask = 0x70;
    private const byte RegADividerNormal = 0x20;

    // Register B.
    private const byte RegBSet = 0x80;
    private const byte RegBUpdateEndedInterrupt = 0x10;
    private const byte RegBBinary = 0x04;
    private const byte RegB24Hour = 0x02;

    // Register D bit 7: valid RAM and time (the battery is good).
    private const byte RegDValid = 0x80;

    // 12-hour mode marks PM in bit 7 of the hours byte.
    private const byte HourPm = 0x80;

    // Index port bit 7 gates NMI on the PC and is not part of the index.
    private const byte IndexMask = 0x7f;

    // What PC firmware programs: 32.768 kHz base with a 1024 Hz periodic rate; 24-hour BCD.
    private const byte DefaultRegA = RegADividerNormal | 0x06;
    private const byte DefaultRegB = RegB24Hour;

    // UIP rises 244 µs (tBUC) before the update cycle at each second boundary.
    private const long UpdateWarningTicks = 2440;

    // PC/AT CMOS memory size bytes, in KiB.
    private const int CmosBaseMemoryLow = 0x15;
    private const int CmosExtendedMemoryLow = 0x17;
    private const int CmosPostExtendedMemoryLow = 0x30;
    private const ushort BaseMemoryKiB = 640;

    // SeaBIOS rtc.h: CMOS_MEM_EXTMEM2_LOW/HIGH (64 KiB units above 16 MiB), CMOS_MEM_HIGHMEM_* (above 4 GiB).
    private const int CmosMemoryAbove16MLow = 0x34;
    private const int CmosMemoryAbove4GLow = 0x5b;

    private const ulong OneMiB = 1UL << 20;
    private const ulong SixteenMiB = 16 * OneMiB;
    private const int SixtyFourKiBShift = 16;

    private static ReadOnlySpan<int> TimeRegisters =>
        [RegSeconds, RegMinutes, RegHours, RegDayOfWeek, RegDayOfMonth, RegMonth, RegYear, RegCentury];

    private readonly Lock _lock = new();
    private readonly Func<DateTimeOffset> _clock;
    private readonly byte[] _memory = new byte[MemorySize];
    private byte _index;
    private TimeSpan _offset;

    /// <param name="clock">
    /// The host's time; the RTC shows its wall-clock fields as they are, so pass
    /// <c>() =&gt; DateTimeOffset.UtcNow</c> for a guest that keeps the RTC in UTC (Linux) or
    /// local time for one that keeps it local (Windows).
    /// </param>
    public CmosRtc(Func<DateTimeOffset> clock)
    {
        ArgumentNullException.ThrowIfNull(clock);
        _clock = clock;
        _memory[RegA] = DefaultRegA;
        _memory[RegB] = DefaultRegB;
    }

    /// <summary>Recreates an RTC from a <see cref="GetState"/> snapshot; the clock keeps its saved offset from <paramref name="clock"/>.</summary>
    /// <param name="state">The saved index, CMOS bytes (exactly <see cref="MemorySize"/>) and clock offset.</param>
    /// <param name="clock">The host clock the guest's time is derived from.</param>
    /// <exception cref="ArgumentException">The state does not hold <see cref="MemorySize"/> CMOS bytes.</exception>
    public static CmosRtc FromState(CmosRtcState state, Func<DateTimeOffset> clock)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Memory.Length != MemorySize)
        {
            throw new ArgumentException($"CmosRtc state holds {state.Memory.Length} CMOS bytes, not {MemorySize}", nameof(state));
        }
        var rtc = new CmosRtc(clock) { _index = state.Index, _offset = state.ClockOffset };
        state.Memory.CopyTo(rtc._memory, 0);
        return rtc;
    }

    /// <summary>Takes a snapshot of the index, the CMOS bytes and the clock offset.</summary>
    public CmosRtcState GetState()
    {
        lock (_lock)
        {
            return new CmosRtcState { Index = _index, Memory = (byte[])_memory.Clone(), ClockOffset = _offset };
        }
    }

    /// <summary>Reads a CMOS RAM byte (0x0E-0x7F, except the century at 0x32).</summary>
    public byte ReadMemory(int index)
    {
        CheckRamIndex(index);
        lock (_lock)
        {
            return _memory[index];
        }
    }

    /// <summary>Sets a CMOS RAM byte the firmware or guest reads (0x0E-0x7F, except the century at 0x32).</summary>
    public void WriteMemory(int index, byte value)
    {
        CheckRamIndex(index);
        lock (_lock)
        {
            _memory[index] = value;
        }
    }

    /// <summary>
    /// Records the guest's RAM sizes where PC firmware looks: base and extended KiB (0x15-0x18,
    /// 0x30-0x31, PC/AT), 64 KiB units above 16 MiB (0x34-0x35) and above 4 GiB (0x5B-0x5D).
    /// Values too large for their fields saturate.
    /// </summary>
    public void SetMemorySizes(ulong belowFourGiB, ulong aboveFourGiB)
    {
        ulong extendedKiB = belowFourGiB > OneMiB ? (belowFourGiB - OneMiB) >> 10 : 0;
        ulong above16M = belowFourGiB > SixteenMiB ? (belowFourGiB - SixteenMiB) >> SixtyFourKiBShift : 0;
        ulong above4G = aboveFourGiB >> SixtyFourKiBShift;
        lock (_lock)
        {
            WriteLittleEndian(CmosBaseMemoryLow, BaseMemoryKiB, 2);
            WriteLittleEndian(CmosExtendedMemoryLow, Math.Min(extendedKiB, 0xffff), 2);
            WriteLittleEndian(CmosPostExtendedMemoryLow, Math.Min(extendedKiB, 0xffff), 2);
            WriteLittleEndian(CmosMemoryAbove16MLow, Math.Min(above16M, 0xffff), 2);
            WriteLittleEndian(CmosMemoryAbove4GLow, Math.Min(above4G, 0xff_ffff), 3);
        }
    }

    /// <summary>Offset 0 is the index port, offset 1 the data port; wider accesses split into bytes.</summary>
    public void Read(ulong offset, Span<byte> data)
    {
        lock (_lock)
        {
            for (int i = 0; i < data.Length; i++)
            {
                // The index port is write-only on the PC; it floats high.
                data[i] = offset + (ulong)i == 1 ? ReadRegister(_index & IndexMask) : (byte)0xff;
            }
        }
    }

    /// <inheritdoc/>
    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        lock (_lock)
        {
            for (int i = 0; i < data.Length; i++)
            {
                switch (offset + (ulong)i)
                {
                    case 0:
                        _index = data[i];
                        break;
                    case 1:
                        WriteRegister(_index & IndexMask, data[i]);
                        break;
                    default:
                        break;
                }
            }
        }
    }

    private static void CheckRamIndex(int index)
    {
        if (index is < FirstRamByte or >= MemorySize or RegCentury)
        {
            throw new ArgumentOutOfRangeException(nameof(index), $"CMOS byte 0x{index:x} is not RAM (0x0e-0x7f, except the century at 0x32)");
        }
    }

    private bool UpdatesHalted => (_memory[RegB] & RegBSet) != 0;

    private DateTime GuestNow()
    {
        long ticks = _clock().DateTime.Ticks + _offset.Ticks;
        return new DateTime(Math.Clamp(ticks, DateTime.MinValue.Ticks, DateTime.MaxValue.Ticks));
    }

    private byte ReadRegister(int index)
    {
        switch (index)
        {
            case RegA:
                return (byte)(_memory[RegA] | (UpdateInProgress() ? RegAUpdateInProgress : 0));
            case RegC:
                // No interrupt sources are modelled, so no flags are ever raised.
                return 0;
            case RegD:
                return RegDValid;
            default:
                if (IsTimeRegister(index) && !UpdatesHalted)
                {
                    return Encode(index, GuestNow(), _memory[RegB]);
                }
                return _memory[index];
        }
    }

    private void WriteRegister(int index, byte value)
    {
        switch (index)
        {
            case RegA:
                _memory[RegA] = (byte)(value & ~RegAUpdateInProgress);
                break;
            case RegB:
                WriteRegisterB(value);
                break;
            case RegC or RegD:
                // Read-only.
                break;
            default:
                if (IsTimeRegister(index) && !UpdatesHalted)
                {
                    // A running clock takes the new field at once: re-base the offset on it.
                    Span<byte> fields = stackalloc byte[MemorySize];
                    EncodeAll(GuestNow(), _memory[RegB], fields);
                    fields[index] = value;
                    SetGuestTime(fields, _memory[RegB]);
                }
                else
                {
                    _memory[index] = value;
                }
                break;
        }
    }

    private void WriteRegisterB(byte value)
    {
        bool wasHalted = UpdatesHalted;
        bool halt = (value & RegBSet) != 0;
        if (halt && !wasHalted)
        {
            // SET freezes the counters where they are so the guest can rewrite them.
            EncodeAll(GuestNow(), _memory[RegB], _memory);
        }
        if (halt)
        {
            // The datasheet clears UIE whenever SET is written as one.
            value &= unchecked((byte)~RegBUpdateEndedInterrupt);
        }
        _memory[RegB] = value;
        if (wasHalted && !halt)
        {
            SetGuestTime(_memory, value);
        }
    }

    /// <summary>Moves the clock offset so the guest's time reads as the given fields now; invalid fields are ignored.</summary>
    private void SetGuestTime(ReadOnlySpan<byte> fields, byte regB)
    {
        if (TryDecode(fields, regB, out DateTime time))
        {
            _offset = time - _clock().DateTime;
        }
    }

    private bool UpdateInProgress()
    {
        if (UpdatesHalted || (_memory[RegA] & RegADividerMask) != RegADividerNormal)
        {
            return false;
        }
        return GuestNow().Ticks % TimeSpan.TicksPerSecond >= TimeSpan.TicksPerSecond - UpdateWarningTicks;
    }

    private static bool IsTimeRegister(int index) => TimeRegisters.Contains(index);

    private static void EncodeAll(DateTime time, byte regB, Span<byte> fields)
    {
        foreach (int index in TimeRegisters)
        {
            fields[index] = Encode(index, time, regB);
        }
    }

    private static byte Encode(int index, DateTime time, byte regB)
    {
        return index switch
        {
            RegSeconds => ToRegister(time.Second, regB),
            RegMinutes => ToRegister(time.Minute, regB),
            RegHours => EncodeHour(time.Hour, regB),
            // The chip counts days of the week 1-7 with Sunday as 1.
            RegDayOfWeek => ToRegister((int)time.DayOfWeek + 1, regB),
            RegDayOfMonth => ToRegister(time.Day, regB),
            RegMonth => ToRegister(time.Month, regB),
            RegYear => ToRegister(time.Year % 100, regB),
            _ => ToRegister(time.Year / 100, regB),
        };
    }

    private static byte EncodeHour(int hour, byte regB)
    {
        if ((regB & RegB24Hour) != 0)
        {
            return ToRegister(hour, regB);
        }
        int twelveHour = hour % 12 == 0 ? 12 : hour % 12;
        return (byte)(ToRegister(twelveHour, regB) | (hour >= 12 ? HourPm : 0));
    }

    private static bool TryDecode(ReadOnlySpan<byte> fields, byte regB, out DateTime time)
    {
        time = default;
        if (!TryFromRegister(fields[RegSeconds], regB, out int second)
            || !TryFromRegister(fields[RegMinutes], regB, out int minute)
            || !TryDecodeHour(fields[RegHours], regB, out int hour)
            || !TryFromRegister(fields[RegDayOfMonth], regB, out int day)
            || !TryFromRegister(fields[RegMonth], regB, out int month)
            || !TryFromRegister(fields[RegYear], regB, out int yearOfCentury)
            || !TryFromRegister(fields[RegCentury], regB, out int century))
        {
            return false;
        }
        int year = century * 100 + yearOfCentury;
        if (second > 59 || minute > 59 || hour > 23 || year is < 1 or > 9999 || month is < 1 or > 12
            || day < 1 || day > DateTime.DaysInMonth(year, month))
        {
            return false;
        }
        time = new DateTime(year, month, day, hour, minute, second);
        return true;
    }

    private static bool TryDecodeHour(byte raw, byte regB, out int hour)
    {
        if ((regB & RegB24Hour) != 0)
        {
            return TryFromRegister(raw, regB, out hour);
        }
        if (!TryFromRegister((byte)(raw & ~HourPm), regB, out int twelveHour) || twelveHour is < 1 or > 12)
        {
            hour = 0;
            return false;
        }
        hour = twelveHour % 12 + ((raw & HourPm) != 0 ? 12 : 0);
        return true;
    }

    private static byte ToRegister(int value, byte regB)
        => (regB & RegBBinary) != 0 ? (byte)value : (byte)((value / 10) << 4 | value % 10);

    private static bool TryFromRegister(byte raw, byte regB, out int value)
    {
        if ((regB & RegBBinary) != 0)
        {
            value = raw;
            return true;
        }
        int tens = raw >> 4;
        int ones = raw & 0x0f;
        value = tens * 10 + ones;
        return tens <= 9 && ones <= 9;
    }

    private void WriteLittleEndian(int index, ulong value, int length)
    {
        for (int i = 0; i < length; i++)
        {
            _memory[index + i] = (byte)(value >> (8 * i));
        }
    }

    /// <inheritdoc/>
    public string PowerName => "CMOS RTC";

    /// <summary>Nothing to stop: the device only acts when the guest accesses it.</summary>
    public void Sleep()
    {
    }

    /// <inheritdoc/>
    public void Wake()
    {
    }

    /// <inheritdoc/>
    public object Snapshot() => GetState();
}
