namespace Vireo.Devices;

/// <summary>
/// An Arm PrimeCell PL061 GPIO controller (ARM DDI 0190B): eight pins, each an input or an output,
/// each able to interrupt on a rising, a falling or both edges or on a high or low level, the
/// pins' interrupts combined into one level-high line (GPIOINTR) that is asserted while any bit of
/// GPIOMIS is set. The host drives input pins with <see cref="SetInput"/> (the arm64 machine's
/// power key is pin 3, <see cref="GpioPowerKey"/>); output pins go nowhere.
/// </summary>
/// <remarks>
/// Registers are 8 bits wide at word-aligned offsets of a 4 KiB window (the TRM's register summary).
/// An access of any width that starts at a register's offset reaches that register through its
/// low byte, the rest reading zero (and a write's rest ignored); an access that starts anywhere
/// else reads zero and writes nothing, as do unused offsets, write-only GPIOIC on a read and the
/// read-only registers on a write. So Linux's byte accesses (drivers/gpio/gpio-pl061.c,
/// readb/writeb) and the AMBA bus's word reads of the ID registers (drivers/amba/bus.c) both see
/// what they expect, and nothing a guest does throws.
/// </remarks>
public sealed class Pl061Gpio : IBusDevice, ISuspendable
{
    /// <summary>The register window's size (0x000-0xFFF in the TRM's register summary).</summary>
    public const int WindowSize = 0x1000;

    /// <summary>The controller's pins.</summary>
    public const int Pins = 8;

    // The TRM's register summary. GPIODATA spans 0x000-0x3FC: address bits [9:2] mask the access.
    private const int DataEnd = 0x400;
    private const int RegDirection = 0x400;
    private const int RegInterruptSense = 0x404;
    private const int RegBothEdges = 0x408;
    private const int RegInterruptEvent = 0x40C;
    private const int RegInterruptMask = 0x410;
    private const int RegRawStatus = 0x414;
    private const int RegMaskedStatus = 0x418;
    private const int RegInterruptClear = 0x41C;
    private const int RegAlternateFunction = 0x420;
    private const int RegPeripheralId0 = 0xFE0;

    // The TRM's GPIOPeriphID0-3 (part 0x061, designer 0x41 'A', revision 0,
    // configuration 0) and GPIOPCellID0-3 (0xB105F00D), one byte per word from 0xFE0. Linux's
    // AMBA bus matches the PL061 driver on periphid 0x00041061.
    private static ReadOnlySpan<byte> IdBytes => [0x61, 0x10, 0x04, 0x00, 0x0D, 0xF0, 0x05, 0xB1];

    private readonly Lock _lock = new();
    private readonly IInterruptLine _interrupt;
    private byte _data;
    private byte _direction;
    private byte _sense;
    private byte _bothEdges;
    private byte _event;
    private byte _mask;
    private byte _edgeStatus;
    private byte _alternate;
    private byte _inputs;
    private bool _lineAsserted;

    /// <param name="interrupt">The combined interrupt (GPIOINTR), driven as a level: asserted while GPIOMIS is not zero.</param>
    public Pl061Gpio(IInterruptLine interrupt)
    {
        ArgumentNullException.ThrowIfNull(interrupt);
        _interrupt = interrupt;
    }

    /// <summary>Drives input <paramref name="pin"/> to <paramref name="level"/> (true = high), as a
    /// device wired to it would. An edge the pin is set to detect latches its raw interrupt status;
    /// a pin the guest made an output keeps the level it drives.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="pin"/> is not 0-7.</exception>
    public void SetInput(int pin, bool level)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(pin);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(pin, Pins);
        lock (_lock)
        {
            byte before = Levels();
            byte bit = (byte)(1 << pin);
            _inputs = level ? (byte)(_inputs | bit) : (byte)(_inputs & ~bit);
            DetectEdges(before);
            UpdateInterrupt();
        }
    }

    /// <summary>The pins' levels as the interrupt logic sees them: an output's latch, an input's driven level.</summary>
    public byte PinLevels()
    {
        lock (_lock)
        {
            return Levels();
        }
    }

    /// <summary>Recreates a controller from a saved state and drives its line to match (<see cref="RestoreState"/>).</summary>
    /// <exception cref="ArgumentException">The state is one a PL061 cannot be in.</exception>
    public static Pl061Gpio FromState(Pl061State state, IInterruptLine interrupt)
    {
        var gpio = new Pl061Gpio(interrupt);
        gpio.RestoreState(state);
        return gpio;
    }

    /// <summary>Every register the guest programmed, the uncleared edges and the host's input levels, atomically with respect to guest accesses.</summary>
    public Pl061State GetState()
    {
        lock (_lock)
        {
            return new Pl061State
            {
                Data = _data,
                Direction = _direction,
                InterruptSense = _sense,
                InterruptBothEdges = _bothEdges,
                InterruptEvent = _event,
                InterruptMask = _mask,
                EdgeStatus = _edgeStatus,
                AlternateFunction = _alternate,
                Inputs = _inputs,
            };
        }
    }

    /// <summary>
    /// Replaces the controller's state with <paramref name="state"/> (typically saved by another
    /// process) and drives the line to the level it implies, even where this device believes the
    /// line already has it (a line wired up in a new process may not).
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="state"/> is null.</exception>
    /// <exception cref="ArgumentException">The state latches an edge on a level-sensitive pin,
    /// which a PL061 never does; nothing is changed.</exception>
    public void RestoreState(Pl061State state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if ((state.EdgeStatus & state.InterruptSense) != 0)
        {
            throw new ArgumentException(
                $"Pl061State.EdgeStatus 0x{state.EdgeStatus:x2} latches edges on pins 0x{state.EdgeStatus & state.InterruptSense:x2}, " +
                $"which InterruptSense 0x{state.InterruptSense:x2} makes level-sensitive", nameof(state));
        }
        lock (_lock)
        {
            _data = state.Data;
            _direction = state.Direction;
            _sense = state.InterruptSense;
            _bothEdges = state.InterruptBothEdges;
            _event = state.InterruptEvent;
            _mask = state.InterruptMask;
            _edgeStatus = state.EdgeStatus;
            _alternate = state.AlternateFunction;
            _inputs = state.Inputs;
            _lineAsserted = MaskedStatus() != 0;
            _interrupt.Set(_lineAsserted);
        }
    }

    /// <inheritdoc/>
    public void Read(ulong offset, Span<byte> data)
    {
        data.Clear();
        if (data.IsEmpty || !IsRegister(offset))
        {
            return;
        }
        lock (_lock)
        {
            data[0] = ReadRegister((int)offset);
        }
    }

    /// <inheritdoc/>
    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty || !IsRegister(offset))
        {
            return;
        }
        lock (_lock)
        {
            WriteRegister((int)offset, data[0]);
            UpdateInterrupt();
        }
    }

    private static bool IsRegister(ulong offset) => offset < WindowSize && offset % 4 == 0;

    private byte ReadRegister(int offset)
    {
        if (offset < DataEnd)
        {
            // GPIODATA: only the bits whose address bit [n+2] is set read; the others read 0.
            return (byte)(Levels() & (offset >> 2));
        }
        if (offset >= RegPeripheralId0)
        {
            return IdBytes[(offset - RegPeripheralId0) / 4];
        }
        return offset switch
        {
            RegDirection => _direction,
            RegInterruptSense => _sense,
            RegBothEdges => _bothEdges,
            RegInterruptEvent => _event,
            RegInterruptMask => _mask,
            RegRawStatus => RawStatus(),
            RegMaskedStatus => MaskedStatus(),
            RegAlternateFunction => _alternate,
            _ => 0,
        };
    }

    private void WriteRegister(int offset, byte value)
    {
        byte before = Levels();
        switch (offset)
        {
            case < DataEnd:
                // GPIODATA: the address masks the write, and only pins set as outputs take it.
                byte take = (byte)((offset >> 2) & _direction);
                _data = (byte)((_data & ~take) | (value & take));
                break;
            case RegDirection:
                _direction = value;
                break;
            case RegInterruptSense:
                _sense = value;
                // A level-sensitive pin's raw status is its level: no edge stays latched for it.
                _edgeStatus &= (byte)~_sense;
                break;
            case RegBothEdges:
                _bothEdges = value;
                break;
            case RegInterruptEvent:
                _event = value;
                break;
            case RegInterruptMask:
                _mask = value;
                break;
            case RegInterruptClear:
                // GPIOIC: writing 1 clears an edge's latched status; level ones follow the pin.
                _edgeStatus &= (byte)~value;
                break;
            case RegAlternateFunction:
                _alternate = value;
                break;
            default:
                break;
        }
        // A write to GPIODATA or GPIODIR can move an output pin: its edge is detected like any other.
        DetectEdges(before);
    }

    private byte Levels() => (byte)((_data & _direction) | (_inputs & ~_direction));

    // GPIOIS, GPIOIBE, GPIOIEV: an edge-sensitive pin (IS=0) latches a rising edge when IEV=1, a falling
    // one when IEV=0, and either when IBE=1.
    private void DetectEdges(byte before)
    {
        byte after = Levels();
        byte rising = (byte)(~before & after);
        byte falling = (byte)(before & ~after);
        byte wanted = (byte)((rising & (_bothEdges | _event)) | (falling & (_bothEdges | ~_event)));
        _edgeStatus |= (byte)(wanted & ~_sense);
    }

    // GPIORIS: a level-sensitive pin's raw status is set while its level is the one IEV names.
    private byte RawStatus() => (byte)((_edgeStatus & ~_sense) | (~(Levels() ^ _event) & _sense));

    private byte MaskedStatus() => (byte)(RawStatus() & _mask);

    private void UpdateInterrupt()
    {
        bool asserted = MaskedStatus() != 0;
        if (asserted != _lineAsserted)
        {
            _lineAsserted = asserted;
            _interrupt.Set(asserted);
        }
    }

    /// <inheritdoc/>
    public string PowerName => "gpio (pl061)";

    /// <summary>Nothing to stop: the controller only acts when the guest or the host drives it.</summary>
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
