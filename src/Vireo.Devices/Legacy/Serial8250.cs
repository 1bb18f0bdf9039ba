namespace Vireo.Devices;

/// <summary>
/// A 16550A UART (eight byte-wide registers, COM1 is 0x3f8-0x3ff with IRQ 4), modelled the way
/// Linux's 8250 driver probes and drives it: scratch register, divisor latch, 16-byte-class FIFO
/// flags in IIR, loopback with the modem lines fed back into MSR, and the RLS &gt; RDA &gt; THRE &gt;
/// MS interrupt priority. Transmission is instantaneous, so THRE and TEMT always read as set.
/// The interrupt output is driven as a level: asserted while IIR reports a pending interrupt.
/// Host input is queued with <see cref="Enqueue"/> into a bounded receive FIFO; what does not fit
/// is dropped, counted in <see cref="RxDropped"/>, and reported to the guest as an overrun.
/// </summary>
/// <remarks>
/// Register names and bits follow the National Semiconductor PC16550D datasheet (Table II and the
/// register descriptions in §8), which are also the names in Linux's include/uapi/linux/serial_reg.h.
/// </remarks>
public sealed class Serial8250 : IBusDevice, ISuspendable
{
    /// <summary>The UART decodes eight consecutive ports.</summary>
    public const int RegisterCount = 8;

    /// <summary>
    /// Receive FIFO depth. Larger than the chip's 16 bytes so bursts of host input (a paste)
    /// are not lost while the guest services its interrupt; the guest cannot tell the difference.
    /// </summary>
    public const int DefaultRxCapacity = 64;

    // Register offsets, PC16550D Table II; DLAB (LCR bit 7) maps DLL/DLM over RBR/THR and IER.
    private const int RegData = 0;
    private const int RegInterruptEnable = 1;
    private const int RegInterruptId = 2;
    private const int RegLineControl = 3;
    private const int RegModemControl = 4;
    private const int RegLineStatus = 5;
    private const int RegModemStatus = 6;
    private const int RegScratch = 7;

    // IER, PC16550D §8.5: only the low four bits exist (Linux autoconfig checks IER[7:4] read 0).
    private const byte IerReceivedData = 0x01;
    private const byte IerTransmitterEmpty = 0x02;
    private const byte IerLineStatus = 0x04;
    private const byte IerModemStatus = 0x08;
    private const byte IerMask = 0x0f;

    // IIR, PC16550D Table IV: bit 0 clear means pending, bits 7:6 set when the FIFOs are enabled.
    private const byte IirNoInterrupt = 0x01;
    private const byte IirModemStatus = 0x00;
    private const byte IirTransmitterEmpty = 0x02;
    private const byte IirReceivedData = 0x04;
    private const byte IirLineStatus = 0x06;
    private const byte IirFifosEnabled = 0xc0;

    // FCR, PC16550D §8.4: bit 0 enables the FIFOs and must be set for the other bits to take.
    private const byte FcrEnable = 0x01;
    private const byte FcrClearReceive = 0x02;
    private const byte FcrDmaMode = 0x08;
    private const byte FcrTriggerMask = 0xc0;

    // LCR bit 7, PC16550D §8.1: divisor latch access.
    private const byte LcrDivisorLatch = 0x80;

    // MCR, PC16550D §8.7; bits 7:5 are always zero on a 16550A.
    private const byte McrDtr = 0x01;
    private const byte McrRts = 0x02;
    private const byte McrOut1 = 0x04;
    private const byte McrOut2 = 0x08;
    private const byte McrLoop = 0x10;
    private const byte McrMask = 0x1f;

    // LSR, PC16550D §8.6.
    private const byte LsrDataReady = 0x01;
    private const byte LsrOverrun = 0x02;
    private const byte LsrErrorMask = 0x1e;
    private const byte LsrTransmitterEmpty = 0x20;
    private const byte LsrTransmitterIdle = 0x40;

    // MSR, PC16550D §8.8: deltas in the low nibble, line states in the high one.
    private const byte MsrDeltaCts = 0x01;
    private const byte MsrDeltaDsr = 0x02;
    private const byte MsrTrailingEdgeRi = 0x04;
    private const byte MsrDeltaDcd = 0x08;
    private const byte MsrDeltaMask = 0x0f;
    private const byte MsrCts = 0x10;
    private const byte MsrDsr = 0x20;
    private const byte MsrRi = 0x40;
    private const byte MsrDcd = 0x80;

    // A host end that is always connected and ready, so guests using CTS/DCD flow control send.
    private const byte MsrConnected = MsrCts | MsrDsr | MsrDcd;

    // 115200 / 12 = 9600 baud, what PC firmware leaves behind; the datasheet leaves it undefined.
    private const ushort DefaultDivisor = 12;

    private readonly Lock _lock = new();
    private readonly IInterruptLine _interrupt;
    private readonly Action<ReadOnlySpan<byte>>? _output;
    private readonly Queue<byte> _rx;
    private readonly int _rxCapacity;
    private byte _ier;
    private byte _lcr;
    private byte _mcr;
    private byte _lsrErrors;
    private byte _msrDeltas;
    private byte _scratch;
    private byte _fcr;
    private ushort _divisor = DefaultDivisor;
    private bool _transmitterEmptyPending;
    private bool _lineAsserted;
    private long _rxDropped;

    /// <param name="interrupt">The UART's IRQ pin (IRQ 4 for COM1), driven as a level.</param>
    /// <param name="output">
    /// Receives each transmitted byte, on the vCPU thread that wrote it; null discards output.
    /// A <see cref="Stream"/> fits as <c>stream.Write</c>.
    /// </param>
    /// <param name="rxCapacity">Receive FIFO depth in bytes.</param>
    public Serial8250(IInterruptLine interrupt, Action<ReadOnlySpan<byte>>? output, int rxCapacity = DefaultRxCapacity)
    {
        ArgumentNullException.ThrowIfNull(interrupt);
        ArgumentOutOfRangeException.ThrowIfLessThan(rxCapacity, 1);
        _interrupt = interrupt;
        _output = output;
        _rxCapacity = rxCapacity;
        _rx = new Queue<byte>(rxCapacity);
    }

    /// <summary>
    /// Raised after <see cref="Enqueue"/> accepted input, outside the device lock, whether or
    /// not the guest has enabled the receive interrupt: a wake source for a sleeping guest.
    /// </summary>
    public event Action? InputArrived;

    /// <summary>Host input bytes dropped because the receive FIFO was full or the UART was in loopback.</summary>
    public long RxDropped => Interlocked.Read(ref _rxDropped);

    /// <summary>Free space in the receive FIFO, so a VMM can hold input back instead of losing it.</summary>
    public int RxFree
    {
        get
        {
            lock (_lock)
            {
                return _rxCapacity - _rx.Count;
            }
        }
    }

    /// <summary>Recreates a UART from a saved state and drives its interrupt to match it (<see cref="RestoreState"/>).</summary>
    /// <param name="state">The saved registers and receive FIFO, which must fit in <paramref name="rxCapacity"/>.</param>
    /// <param name="interrupt">The UART's interrupt line.</param>
    /// <param name="output">Receives the bytes the guest transmits; they are dropped when null.</param>
    /// <param name="rxCapacity">The receive FIFO's size in bytes.</param>
    /// <exception cref="ArgumentException">The state holds a value a 16550A cannot, or more received bytes than <paramref name="rxCapacity"/>.</exception>
    public static Serial8250 FromState(
        Serial8250State state, IInterruptLine interrupt, Action<ReadOnlySpan<byte>>? output, int rxCapacity = DefaultRxCapacity)
    {
        var serial = new Serial8250(interrupt, output, rxCapacity);
        serial.RestoreState(state);
        return serial;
    }

    /// <summary>
    /// Takes a snapshot of every register the guest can change, the pending THRE interrupt, the
    /// receive FIFO and the dropped-input count, atomically with respect to guest accesses.
    /// </summary>
    public Serial8250State GetState()
    {
        lock (_lock)
        {
            return new Serial8250State
            {
                InterruptEnable = _ier,
                LineControl = _lcr,
                ModemControl = _mcr,
                LineStatusErrors = _lsrErrors,
                ModemStatusDeltas = _msrDeltas,
                Scratch = _scratch,
                Divisor = _divisor,
                FifoControl = _fcr,
                TransmitterEmptyPending = _transmitterEmptyPending,
                ReceiveFifo = _rx.ToArray(),
                RxDropped = Interlocked.Read(ref _rxDropped),
            };
        }
    }

    /// <summary>
    /// Replaces this UART's state with <paramref name="state"/> (typically saved by another process)
    /// and drives the interrupt line to the level the restored registers imply: asserted exactly
    /// when IIR would report a pending interrupt. The line is driven even when this device believes
    /// it already has that level, since a line wired up in a new process may not.
    /// </summary>
    /// <param name="state">A state from <see cref="GetState"/>, or one read back from a snapshot.</param>
    /// <exception cref="ArgumentNullException"><paramref name="state"/> is null.</exception>
    /// <exception cref="ArgumentException">
    /// The state sets a bit a 16550A does not have (IER[7:4], MCR[7:5], an LSR bit other than
    /// the errors, an MSR bit other than the deltas, FCR bits that do not persist), holds no
    /// receive FIFO or more bytes than this UART's FIFO, or a negative drop count. Nothing is
    /// changed when it is refused.
    /// </exception>
    public void RestoreState(Serial8250State state)
    {
        ArgumentNullException.ThrowIfNull(state);
        Validate(state, _rxCapacity);
        lock (_lock)
        {
            _ier = state.InterruptEnable;
            _lcr = state.LineControl;
            _mcr = state.ModemControl;
            _lsrErrors = state.LineStatusErrors;
            _msrDeltas = state.ModemStatusDeltas;
            _scratch = state.Scratch;
            _divisor = state.Divisor;
            _fcr = state.FifoControl;
            _transmitterEmptyPending = state.TransmitterEmptyPending;
            _rx.Clear();
            foreach (byte b in state.ReceiveFifo)
            {
                _rx.Enqueue(b);
            }
            Interlocked.Exchange(ref _rxDropped, state.RxDropped);
            _lineAsserted = InterruptPending();
            _interrupt.Set(_lineAsserted);
        }
    }

    private static void Validate(Serial8250State state, int rxCapacity)
    {
        CheckBits(state.InterruptEnable, IerMask, nameof(Serial8250State.InterruptEnable), "IER has only bits 3:0");
        CheckBits(state.ModemControl, McrMask, nameof(Serial8250State.ModemControl), "MCR has only bits 4:0");
        CheckBits(state.LineStatusErrors, LsrErrorMask, nameof(Serial8250State.LineStatusErrors), "only the LSR error bits 4:1 are stored");
        CheckBits(state.ModemStatusDeltas, MsrDeltaMask, nameof(Serial8250State.ModemStatusDeltas), "only the MSR delta bits 3:0 are stored");
        CheckBits(state.FifoControl, FcrEnable | FcrDmaMode | FcrTriggerMask, nameof(Serial8250State.FifoControl),
            "only FCR bits 0, 3 and 7:6 persist");
        if (state.FifoControl != 0 && (state.FifoControl & FcrEnable) == 0)
        {
            throw new ArgumentException(
                $"Serial8250State.FifoControl 0x{state.FifoControl:x2} sets FCR bits with the FIFOs disabled (bit 0 clear); they only take with bit 0 set",
                nameof(state));
        }
        if (state.ReceiveFifo is null)
        {
            throw new ArgumentException("Serial8250State.ReceiveFifo is null; an empty FIFO is an empty array", nameof(state));
        }
        if (state.ReceiveFifo.Length > rxCapacity)
        {
            throw new ArgumentException(
                $"Serial8250State.ReceiveFifo holds {state.ReceiveFifo.Length} received bytes, more than the FIFO's {rxCapacity}", nameof(state));
        }
        if (state.RxDropped < 0)
        {
            throw new ArgumentException($"Serial8250State.RxDropped is negative ({state.RxDropped})", nameof(state));
        }

        static void CheckBits(byte value, byte allowed, string field, string why)
        {
            if ((value & ~allowed) != 0)
            {
                throw new ArgumentException(
                    $"Serial8250State.{field} 0x{value:x2} sets bits 0x{value & ~allowed:x2} that a 16550A does not hold: {why}", "state");
            }
        }
    }

    /// <summary>
    /// Queues host input for the guest and returns how many bytes were accepted. The rest are
    /// dropped, counted in <see cref="RxDropped"/>, and flagged to the guest as an overrun (LSR
    /// OE), as the chip does when a character arrives with its FIFO full. In loopback the
    /// receiver is disconnected from the line, so all input is dropped.
    /// </summary>
    public int Enqueue(ReadOnlySpan<byte> input) => Receive(input, overrunOnFull: true);

    /// <summary>
    /// Queues as much host input as the receive FIFO has room for and returns how many bytes
    /// were taken; the rest stay with the caller, which sends them later. This is a sender that
    /// honours flow control (as with RTS/CTS), so a full FIFO is not an overrun: nothing is
    /// dropped or flagged to the guest. In loopback nothing is taken.
    /// </summary>
    public int Fill(ReadOnlySpan<byte> input) => Receive(input, overrunOnFull: false);

    private int Receive(ReadOnlySpan<byte> input, bool overrunOnFull)
    {
        int accepted;
        lock (_lock)
        {
            if ((_mcr & McrLoop) != 0)
            {
                accepted = 0;
            }
            else
            {
                accepted = Math.Min(input.Length, _rxCapacity - _rx.Count);
                foreach (byte b in input[..accepted])
                {
                    _rx.Enqueue(b);
                }
                if (accepted < input.Length && overrunOnFull)
                {
                    _lsrErrors |= LsrOverrun;
                }
            }
            if (accepted < input.Length && overrunOnFull)
            {
                Interlocked.Add(ref _rxDropped, input.Length - accepted);
            }
            UpdateInterrupt();
        }
        if (accepted > 0)
        {
            InputArrived?.Invoke();
        }
        return accepted;
    }

    /// <summary>Wider accesses are split into byte accesses at consecutive ports, as on the ISA bus.</summary>
    public void Read(ulong offset, Span<byte> data)
    {
        lock (_lock)
        {
            for (int i = 0; i < data.Length; i++)
            {
                ulong register = offset + (ulong)i;
                data[i] = register < RegisterCount ? ReadRegister((int)register) : (byte)0xff;
            }
            UpdateInterrupt();
        }
    }

    /// <inheritdoc/>
    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        lock (_lock)
        {
            for (int i = 0; i < data.Length; i++)
            {
                ulong register = offset + (ulong)i;
                if (register < RegisterCount)
                {
                    WriteRegister((int)register, data[i]);
                }
            }
            UpdateInterrupt();
        }
    }

    private bool DivisorLatch => (_lcr & LcrDivisorLatch) != 0;

    private bool FifosEnabled => (_fcr & FcrEnable) != 0;

    private byte ReadRegister(int register)
    {
        switch (register)
        {
            case RegData:
                if (DivisorLatch)
                {
                    return (byte)_divisor;
                }
                return _rx.TryDequeue(out byte received) ? received : (byte)0;
            case RegInterruptEnable:
                return DivisorLatch ? (byte)(_divisor >> 8) : _ier;
            case RegInterruptId:
                byte iir = InterruptId();
                // Reading IIR clears a THRE interrupt only when it is the one reported (§8.3, Table IV).
                if ((iir & 0x0f) == IirTransmitterEmpty)
                {
                    _transmitterEmptyPending = false;
                }
                return iir;
            case RegLineControl:
                return _lcr;
            case RegModemControl:
                return _mcr;
            case RegLineStatus:
                byte lsr = (byte)(_lsrErrors | LsrTransmitterEmpty | LsrTransmitterIdle | (_rx.Count > 0 ? LsrDataReady : 0));
                _lsrErrors = 0;
                return lsr;
            case RegModemStatus:
                byte msr = (byte)(ModemLines() | _msrDeltas);
                _msrDeltas = 0;
                return msr;
            default:
                return _scratch;
        }
    }

    private void WriteRegister(int register, byte value)
    {
        switch (register)
        {
            case RegData:
                if (DivisorLatch)
                {
                    _divisor = (ushort)((_divisor & 0xff00) | value);
                }
                else
                {
                    Transmit(value);
                }
                break;
            case RegInterruptEnable:
                if (DivisorLatch)
                {
                    _divisor = (ushort)((_divisor & 0x00ff) | (value << 8));
                }
                else
                {
                    WriteInterruptEnable(value);
                }
                break;
            case RegInterruptId:
                WriteFifoControl(value);
                break;
            case RegLineControl:
                _lcr = value;
                break;
            case RegModemControl:
                WriteModemControl((byte)(value & McrMask));
                break;
            case RegScratch:
                _scratch = value;
                break;
            default:
                // LSR and MSR are read-only; the datasheet reserves their writes for factory test.
                break;
        }
    }

    private void Transmit(byte value)
    {
        if ((_mcr & McrLoop) != 0)
        {
            // Loopback feeds the transmitter into the receiver and nothing leaves the chip.
            if (_rx.Count < _rxCapacity)
            {
                _rx.Enqueue(value);
            }
            else
            {
                _lsrErrors |= LsrOverrun;
            }
        }
        else
        {
            _output?.Invoke(new ReadOnlySpan<byte>(in value));
        }
        // The byte left at once, so the holding register is empty again.
        _transmitterEmptyPending = true;
    }

    private void WriteInterruptEnable(byte value)
    {
        byte enabled = (byte)(value & IerMask);
        bool wasEnabled = (_ier & IerTransmitterEmpty) != 0;
        bool isEnabled = (enabled & IerTransmitterEmpty) != 0;
        if (isEnabled != wasEnabled)
        {
            // Enabling ETBEI with the holding register empty raises THRE at once; Linux's
            // startup test toggles IER 0 -> THRI twice and expects THRE both times.
            _transmitterEmptyPending = isEnabled;
        }
        _ier = enabled;
    }

    private void WriteFifoControl(byte value)
    {
        bool enable = (value & FcrEnable) != 0;
        if (enable != FifosEnabled)
        {
            // Changing FCR0 resets both FIFOs (§8.4).
            _rx.Clear();
        }
        if (!enable)
        {
            _fcr = 0;
            return;
        }
        if ((value & FcrClearReceive) != 0)
        {
            _rx.Clear();
        }
        // Clearing the transmit FIFO has nothing to do: transmission is instantaneous.
        _fcr = (byte)(value & (FcrEnable | FcrDmaMode | FcrTriggerMask));
    }

    private void WriteModemControl(byte value)
    {
        byte before = ModemLines();
        _mcr = value;
        byte after = ModemLines();
        byte changed = (byte)(before ^ after);
        if ((changed & MsrCts) != 0)
        {
            _msrDeltas |= MsrDeltaCts;
        }
        if ((changed & MsrDsr) != 0)
        {
            _msrDeltas |= MsrDeltaDsr;
        }
        if ((changed & MsrDcd) != 0)
        {
            _msrDeltas |= MsrDeltaDcd;
        }
        if ((before & MsrRi) != 0 && (after & MsrRi) == 0)
        {
            _msrDeltas |= MsrTrailingEdgeRi;
        }
    }

    /// <summary>The MSR line states: in loopback RTS, DTR, OUT1 and OUT2 drive CTS, DSR, RI and DCD (§8.7).</summary>
    private byte ModemLines()
    {
        if ((_mcr & McrLoop) == 0)
        {
            return MsrConnected;
        }
        int lines = 0;
        lines |= (_mcr & McrRts) != 0 ? MsrCts : 0;
        lines |= (_mcr & McrDtr) != 0 ? MsrDsr : 0;
        lines |= (_mcr & McrOut1) != 0 ? MsrRi : 0;
        lines |= (_mcr & McrOut2) != 0 ? MsrDcd : 0;
        return (byte)lines;
    }

    /// <summary>
    /// IIR by priority (Table IV). Received data is reported as RDA whatever the trigger level:
    /// below it the chip would raise a character timeout a few character times later, and Linux
    /// treats both alike, so modelling the delay buys nothing.
    /// </summary>
    private byte InterruptId()
    {
        byte id;
        if ((_ier & IerLineStatus) != 0 && (_lsrErrors & LsrErrorMask) != 0)
        {
            id = IirLineStatus;
        }
        else if ((_ier & IerReceivedData) != 0 && _rx.Count > 0)
        {
            id = IirReceivedData;
        }
        else if ((_ier & IerTransmitterEmpty) != 0 && _transmitterEmptyPending)
        {
            id = IirTransmitterEmpty;
        }
        else if ((_ier & IerModemStatus) != 0 && _msrDeltas != 0)
        {
            id = IirModemStatus;
        }
        else
        {
            id = IirNoInterrupt;
        }
        return (byte)(id | (FifosEnabled ? IirFifosEnabled : 0));
    }

    // The level the line should have: IIR reports a pending interrupt.
    private bool InterruptPending() => (InterruptId() & IirNoInterrupt) == 0;

    private void UpdateInterrupt()
    {
        bool asserted = InterruptPending();
        if (asserted != _lineAsserted)
        {
            _lineAsserted = asserted;
            _interrupt.Set(asserted);
        }
    }

    /// <inheritdoc/>
    public string PowerName => "serial (8250)";

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
