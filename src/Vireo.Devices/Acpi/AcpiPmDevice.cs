using Vireo.Acpi;

namespace Vireo.Devices;

/// <summary>
/// The fixed ACPI hardware of a full (not hardware-reduced) platform in one port window: the
/// PM1a event block (PM1_STS, PM1_EN), the PM1a control block (PM1_CNT), the 24-bit PM timer and
/// a GPE0 block of 64 events, at the offsets of Intel's ICH9 PM I/O space (the layout QEMU's q35
/// machine uses). The SCI is level-triggered: it is asserted while any status bit is set together
/// with its enable bit, in PM1 or GPE0, and drops as soon as the guest clears the status.
/// </summary>
/// <remarks>
/// There is no SMI command port (the FADT's SMI_CMD is zero), so ACPI mode is always on and
/// SCI_EN reads as one (ACPI 6.5 §4.8.4.2.1). Writing SLP_EN with <see cref="S5SleepType"/>
/// raises <see cref="PowerOffRequested"/>; any other sleep type raises
/// <see cref="SleepRequested"/> for the VMM to act on. The device also renders its own AML: the
/// <c>\_S0</c> and <c>\_S5</c> packages that tell OSPM which SLP_TYP values to write.
/// </remarks>
public sealed class AcpiPmDevice : IBusDevice, IAml, IDisposable, ISuspendable, IPowerButton
{
    // Window layout, ICH9 PMIO offsets (QEMU include/hw/acpi/ich9.h, ICH9_PMIO_*).
    /// <summary>Offset of the PM1a event block (PM1_STS then PM1_EN, two bytes each); the FADT's PM1a_EVT_BLK points here.</summary>
    public const int Pm1EventOffset = 0x00;
    /// <summary>Length of the PM1a event block, the FADT's PM1_EVT_LEN (ACPI 6.5 §4.8.3.1).</summary>
    public const int Pm1EventLength = 4;
    /// <summary>Offset of the PM1a control block (PM1_CNT); the FADT's PM1a_CNT_BLK points here.</summary>
    public const int Pm1ControlOffset = 0x04;
    /// <summary>Length of the PM1a control block, the FADT's PM1_CNT_LEN (ACPI 6.5 §4.8.3.2).</summary>
    public const int Pm1ControlLength = 2;
    /// <summary>Offset of the PM timer (PM_TMR); the FADT's PM_TMR_BLK points here.</summary>
    public const int PmTimerOffset = 0x08;
    /// <summary>Length of the PM timer block, the FADT's PM_TMR_LEN, which ACPI 6.5 §5.2.9 fixes at 4.</summary>
    public const int PmTimerLength = 4;
    /// <summary>Offset of the GPE0 block (GPE0_STS then GPE0_EN); the FADT's GPE0_BLK points here.</summary>
    public const int Gpe0Offset = 0x20;
    /// <summary>Length of the GPE0 block, the FADT's GPE0_BLK_LEN: status and enable halves of 8 bytes each.</summary>
    public const int Gpe0Length = 16;

    /// <summary>Bytes of port space the device occupies; unused offsets read zero.</summary>
    public const int WindowLength = 0x30;

    /// <summary>GPE0_STS and GPE0_EN are each half of the block, one bit per GPE (ACPI 6.5 §4.8.5.1.1).</summary>
    public const int GpeCount = Gpe0Length / 2 * 8;

    /// <summary>ACPI 6.5 §4.8.4.3: the PM timer counts at 3.579545 MHz.</summary>
    public const long PmTimerFrequency = 3_579_545;

    // SLP_TYP values are the platform's own (ACPI 6.5 §7.4.2 \_Sx); these are the ICH/PCH
    // encoding, so S5 is not confused with S0 the way PIIX4's zero would be.
    /// <summary>The SLP_TYP value the <c>\_S0</c> package gives for the working state.</summary>
    public const int S0SleepType = 0;
    /// <summary>The SLP_TYP value the <c>\_S5</c> package gives; writing it with SLP_EN raises <see cref="PowerOffRequested"/>.</summary>
    public const int S5SleepType = 7;

    // ACPI 6.5 §4.8.4.1.1, Table 4.11: PM1 Status bits.
    private const ushort TmrSts = 1 << 0;
    private const ushort BmSts = 1 << 4;
    private const ushort GblSts = 1 << 5;
    private const ushort PwrBtnSts = 1 << 8;
    private const ushort SlpBtnSts = 1 << 9;
    private const ushort RtcSts = 1 << 10;
    private const ushort PciExpWakeSts = 1 << 14;
    private const ushort WakSts = 1 << 15;
    private const ushort Pm1StatusBits = TmrSts | BmSts | GblSts | PwrBtnSts | SlpBtnSts | RtcSts | PciExpWakeSts | WakSts;

    // ACPI 6.5 §4.8.4.1.2, Table 4.12: PM1 Enable bits; each sits at its status bit's position.
    private const ushort TmrEn = 1 << 0;
    private const ushort GblEn = 1 << 5;
    private const ushort PwrBtnEn = 1 << 8;
    private const ushort SlpBtnEn = 1 << 9;
    private const ushort RtcEn = 1 << 10;
    private const ushort PciExpWakeDis = 1 << 14;
    private const ushort Pm1EnableBits = TmrEn | GblEn | PwrBtnEn | SlpBtnEn | RtcEn | PciExpWakeDis;

    // The status bits that raise an SCI when their enable bit is set; WAK_STS, BM_STS and
    // PCIEXP_WAKE_STS only wake or inform.
    private const ushort Pm1SciSources = TmrSts | GblSts | PwrBtnSts | SlpBtnSts | RtcSts;

    // ACPI 6.5 §4.8.4.2.1, Table 4.13: PM1 Control bits. GBL_RLS and SLP_EN are write-only and
    // read as zero; GBL_RLS would signal firmware, and there is none.
    private const ushort SciEn = 1 << 0;
    private const ushort BmRld = 1 << 1;
    private const int SlpTypShift = 10;
    private const ushort SlpTypMask = 0b111 << SlpTypShift;
    private const ushort SlpEn = 1 << 13;
    private const ushort Pm1ControlStored = BmRld | SlpTypMask;

    // ACPI 6.5 §4.8.4.3: TMR_VAL is 24 bits (TMR_VAL_EXT clear); TMR_STS is set whenever its most
    // significant bit toggles, i.e. every 2^23 counts.
    private const ulong TimerMask = (1UL << 24) - 1;
    private const int TimerStatusShift = 23;

    private readonly Lock _lock = new();
    private readonly IInterruptLine _sci;
    private readonly TimeProvider _time;
    private readonly byte[] _gpeStatus = new byte[Gpe0Length / 2];
    private readonly byte[] _gpeEnable = new byte[Gpe0Length / 2];
    private ushort _pm1Status; // TMR_STS excluded: it is derived from the timer
    private ushort _pm1Enable;
    private ushort _pm1Control;
    private ulong _timerBase;
    private long _timerOrigin;
    private ulong _timerStatusEpoch;
    private ITimer? _timerAlarm;
    private bool _sciLevel;
    private bool _disposed;

    /// <param name="sci">The SCI, wired to the IRQ the FADT's SCI_INT names.</param>
    /// <param name="time">The monotonic clock behind the PM timer; <see cref="TimeProvider.System"/> when null.</param>
    public AcpiPmDevice(IInterruptLine sci, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(sci);
        _sci = sci;
        _time = time ?? TimeProvider.System;
        _timerOrigin = _time.GetTimestamp();
    }

    /// <summary>The guest wrote SLP_EN with the S5 (soft-off) sleep type.</summary>
    public event Action? PowerOffRequested;

    /// <summary>The guest wrote SLP_EN with a sleep type other than S5; the argument is the SLP_TYP value.</summary>
    public event Action<int>? SleepRequested;

    /// <summary>Whether the SCI is asserted now.</summary>
    public bool SciAsserted
    {
        get
        {
            lock (_lock)
            {
                return _sciLevel;
            }
        }
    }

    /// <summary>
    /// Recreates a device from a <see cref="GetState"/> snapshot: registers as saved, the PM timer
    /// counting on from the saved value, and the SCI driven to the level the restored state implies.
    /// </summary>
    /// <param name="state">The saved registers; GPE0 status and enable must each hold <see cref="Gpe0Length"/> / 2 bytes.</param>
    /// <param name="sci">The SCI line; it is set once here, before the device is returned.</param>
    /// <param name="time">The clock the PM timer runs on; the system clock when null (tests pass a fake one).</param>
    /// <exception cref="ArgumentException">The state's GPE0 arrays have the wrong length.</exception>
    public static AcpiPmDevice FromState(AcpiPmState state, IInterruptLine sci, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Gpe0Status.Length != Gpe0Length / 2 || state.Gpe0Enable.Length != Gpe0Length / 2)
        {
            throw new ArgumentException($"AcpiPm state holds {state.Gpe0Status.Length}+{state.Gpe0Enable.Length} GPE0 bytes, not {Gpe0Length / 2}+{Gpe0Length / 2}", nameof(state));
        }
        var device = new AcpiPmDevice(sci, time);
        lock (device._lock)
        {
            device._pm1Status = (ushort)(state.Pm1Status & Pm1StatusBits & ~TmrSts);
            device._pm1Enable = (ushort)(state.Pm1Enable & Pm1EnableBits);
            device._pm1Control = (ushort)(state.Pm1Control & Pm1ControlStored);
            state.Gpe0Status.CopyTo(device._gpeStatus, 0);
            state.Gpe0Enable.CopyTo(device._gpeEnable, 0);
            device._timerBase = state.TimerValue & TimerMask;
            ulong epoch = device._timerBase >> TimerStatusShift;
            // A pending TMR_STS stays pending: pretend it was last cleared one period ago.
            device._timerStatusEpoch = (state.Pm1Status & TmrSts) != 0 ? epoch - 1 : epoch;
            ulong count = device.TimerCount();
            device.UpdateTimerAlarm(count);
            device._sciLevel = device.SciPending(count);
            sci.Set(device._sciLevel);
        }
        return device;
    }

    /// <summary>Takes a consistent snapshot of every register, with the PM timer sampled once.</summary>
    public AcpiPmState GetState()
    {
        lock (_lock)
        {
            ulong count = TimerCount();
            return new AcpiPmState
            {
                Pm1Status = Pm1Status(count),
                Pm1Enable = _pm1Enable,
                Pm1Control = _pm1Control,
                Gpe0Status = (byte[])_gpeStatus.Clone(),
                Gpe0Enable = (byte[])_gpeEnable.Clone(),
                TimerValue = (uint)(count & TimerMask),
            };
        }
    }

    /// <summary>Sets PWRBTN_STS, as pressing the fixed-feature power button does (ACPI 6.5 Table 4.11).</summary>
    public void PressPowerButton()
    {
        lock (_lock)
        {
            _pm1Status |= PwrBtnSts;
            UpdateSci(TimerCount());
        }
    }

    /// <summary>What messages call the fixed-feature power button.</summary>
    public const string PowerButtonTitle = "ACPI power button";

    /// <inheritdoc/>
    public string PowerButtonName => PowerButtonTitle;

    /// <summary>The fixed-feature power button: <see cref="PressPowerButton"/>.</summary>
    void IPowerButton.Press() => PressPowerButton();

    /// <summary>
    /// Sets GBL_STS, the fixed event by which platform firmware asks for the attention of the OS's
    /// SCI handler (ACPI 6.5 Table 4.11); the SCI follows if the guest set GBL_EN. The VMM is the
    /// platform firmware here and uses it to wake a guest suspended to idle: OSPM's ACPI core
    /// enables GBL_EN itself, on every platform that is not hardware-reduced, when it installs its
    /// global-lock handler, and that handler takes a GBL_STS with no lock request pending as the
    /// spurious event it is and only clears it.
    /// </summary>
    public void RaiseGlobalEvent()
    {
        lock (_lock)
        {
            _pm1Status |= GblSts;
            UpdateSci(TimerCount());
        }
    }

    /// <summary>Clears GBL_STS, as the guest's write-1-to-clear would: the VMM withdraws a
    /// <see cref="RaiseGlobalEvent"/> the guest has already acted on.</summary>
    public void ClearGlobalEvent()
    {
        lock (_lock)
        {
            _pm1Status &= unchecked((ushort)~GblSts);
            UpdateSci(TimerCount());
        }
    }

    /// <summary>Sets GPE <paramref name="gpe"/>'s status bit; the SCI follows if the guest enabled it.</summary>
    public void RaiseGpe(int gpe)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(gpe);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(gpe, GpeCount);
        lock (_lock)
        {
            _gpeStatus[gpe / 8] |= (byte)(1 << (gpe % 8));
            UpdateSci(TimerCount());
        }
    }

    /// <summary>Renders <c>\_S0</c> and <c>\_S5</c>: Package {SLP_TYPa, SLP_TYPb, reserved, reserved}
    /// (ACPI 6.5 §7.4.2); there is no PM1b block, so SLP_TYPb just repeats SLP_TYPa.</summary>
    public void AppendTo(AmlSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        sink.Append(SleepState("\\_S0", S0SleepType));
        sink.Append(SleepState("\\_S5", S5SleepType));
    }

    /// <inheritdoc/>
    public void Read(ulong offset, Span<byte> data)
    {
        lock (_lock)
        {
            // One timer sample per access, so a 4-byte read of PM_TMR is consistent.
            ulong count = TimerCount();
            for (int i = 0; i < data.Length; i++)
            {
                data[i] = ReadByte(offset + (ulong)i, count);
            }
        }
    }

    /// <inheritdoc/>
    /// <remarks>A write of SLP_EN raises <see cref="PowerOffRequested"/> or <see cref="SleepRequested"/> on the writing thread, after the device's lock is released.</remarks>
    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        int? sleepType = null;
        lock (_lock)
        {
            ulong count = TimerCount();
            for (int i = 0; i < data.Length; i++)
            {
                WriteByte(offset + (ulong)i, data[i], count, ref sleepType);
            }
            UpdateTimerAlarm(count);
            UpdateSci(count);
        }
        // Raised outside the lock so a handler may read the device's state.
        if (sleepType == S5SleepType)
        {
            PowerOffRequested?.Invoke();
        }
        else if (sleepType is int type)
        {
            SleepRequested?.Invoke(type);
        }
    }

    /// <summary>Stops the timer that raises TMR_STS when the PM timer's bit 23 flips.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _timerAlarm?.Dispose();
            _timerAlarm = null;
        }
    }

    private static AmlName SleepState(string name, int sleepType) =>
        new(name, new AmlPackage(new AmlInteger((ulong)sleepType), new AmlInteger((ulong)sleepType), AmlInteger.Zero, AmlInteger.Zero));

    // Offsets past the window (or wrapping around) are unknown: they read zero and ignore writes.
    private static int Register(ulong at) => at < WindowLength ? (int)at : -1;

    private byte ReadByte(ulong offset, ulong count)
    {
        int at = Register(offset);
        return at switch
        {
            >= Pm1EventOffset and < Pm1EventOffset + 2 => ByteOf(Pm1Status(count), at - Pm1EventOffset),
            >= Pm1EventOffset + 2 and < Pm1EventOffset + Pm1EventLength => ByteOf(_pm1Enable, at - Pm1EventOffset - 2),
            >= Pm1ControlOffset and < Pm1ControlOffset + Pm1ControlLength => ByteOf((ushort)(_pm1Control | SciEn), at - Pm1ControlOffset),
            >= PmTimerOffset and < PmTimerOffset + PmTimerLength => (byte)((count & TimerMask) >> (8 * (at - PmTimerOffset))),
            >= Gpe0Offset and < Gpe0Offset + (Gpe0Length / 2) => _gpeStatus[at - Gpe0Offset],
            >= Gpe0Offset + (Gpe0Length / 2) and < Gpe0Offset + Gpe0Length => _gpeEnable[at - Gpe0Offset - (Gpe0Length / 2)],
            _ => 0,
        };
    }

    // Byte-wise is exact: SLP_TYP and SLP_EN share PM1_CNT's high byte, and every other
    // register is either write-1-to-clear or plain storage.
    private void WriteByte(ulong offset, byte value, ulong count, ref int? sleepType)
    {
        int at = Register(offset);
        switch (at)
        {
            case >= Pm1EventOffset and < Pm1EventOffset + 2:
                ushort clear = (ushort)(value << (8 * (at - Pm1EventOffset)));
                _pm1Status &= (ushort)~clear;
                if ((clear & TmrSts) != 0)
                {
                    _timerStatusEpoch = count >> TimerStatusShift;
                }
                break;
            case >= Pm1EventOffset + 2 and < Pm1EventOffset + Pm1EventLength:
                _pm1Enable = (ushort)(Merge(_pm1Enable, value, at - Pm1EventOffset - 2) & Pm1EnableBits);
                break;
            case >= Pm1ControlOffset and < Pm1ControlOffset + Pm1ControlLength:
                ushort written = Merge(0, value, at - Pm1ControlOffset);
                ushort byteMask = Merge(0, 0xFF, at - Pm1ControlOffset);
                _pm1Control = (ushort)((_pm1Control & ~byteMask) | (written & Pm1ControlStored));
                if ((written & SlpEn) != 0)
                {
                    sleepType = (written & SlpTypMask) >> SlpTypShift;
                }
                break;
            case >= Gpe0Offset and < Gpe0Offset + (Gpe0Length / 2):
                _gpeStatus[at - Gpe0Offset] &= (byte)~value;
                break;
            case >= Gpe0Offset + (Gpe0Length / 2) and < Gpe0Offset + Gpe0Length:
                _gpeEnable[at - Gpe0Offset - (Gpe0Length / 2)] = value;
                break;
            default:
                // PM_TMR is read-only; the gaps are unused.
                break;
        }
    }

    private static byte ByteOf(ushort value, int index) => (byte)(value >> (8 * index));

    private static ushort Merge(ushort current, byte value, int index)
    {
        int shift = 8 * index;
        return (ushort)((current & ~(0xFF << shift)) | (value << shift));
    }

    private ulong TimerCount()
    {
        long elapsed = Math.Max(0, _time.GetTimestamp() - _timerOrigin);
        return _timerBase + (ulong)((Int128)elapsed * PmTimerFrequency / _time.TimestampFrequency);
    }

    private ushort Pm1Status(ulong count) =>
        (ushort)(_pm1Status | ((count >> TimerStatusShift) != _timerStatusEpoch ? TmrSts : 0));

    private bool SciPending(ulong count)
    {
        if ((Pm1Status(count) & _pm1Enable & Pm1SciSources) != 0)
        {
            return true;
        }
        for (int i = 0; i < _gpeStatus.Length; i++)
        {
            if ((_gpeStatus[i] & _gpeEnable[i]) != 0)
            {
                return true;
            }
        }
        return false;
    }

    private void UpdateSci(ulong count)
    {
        bool level = SciPending(count);
        if (level != _sciLevel)
        {
            _sciLevel = level;
            _sci.Set(level);
        }
    }

    /// <summary>With TMR_EN set and TMR_STS clear, arms a one-shot timer for the next toggle of
    /// the timer's top bit, so the SCI rises then without anyone polling.</summary>
    private void UpdateTimerAlarm(ulong count)
    {
        bool wanted = !_disposed && (_pm1Enable & TmrEn) != 0 && (Pm1Status(count) & TmrSts) == 0;
        if (!wanted)
        {
            _timerAlarm?.Dispose();
            _timerAlarm = null;
            return;
        }
        ulong period = 1UL << TimerStatusShift;
        ulong countsLeft = period - (count & (period - 1));
        // Round up, so the alarm never fires before the toggle it waits for.
        long ticks = (long)(((Int128)countsLeft * TimeSpan.TicksPerSecond + PmTimerFrequency - 1) / PmTimerFrequency);
        var due = TimeSpan.FromTicks(ticks);
        if (_timerAlarm is null)
        {
            _timerAlarm = _time.CreateTimer(static state => ((AcpiPmDevice)state!).OnTimerAlarm(), this, due, Timeout.InfiniteTimeSpan);
        }
        else
        {
            _timerAlarm.Change(due, Timeout.InfiniteTimeSpan);
        }
    }

    private void OnTimerAlarm()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }
            ulong count = TimerCount();
            UpdateSci(count);
            UpdateTimerAlarm(count);
        }
    }

    /// <inheritdoc/>
    public string PowerName => "ACPI PM";

    /// <summary>Nothing to stop: the PM timer counts host time, as the chip does across a host
    /// pause, and a carry that falls due meanwhile is a level SCI the guest takes when it runs.</summary>
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
