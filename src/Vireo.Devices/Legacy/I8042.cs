namespace Vireo.Devices;

/// <summary>
/// The PS/2 keyboard controller, enough for Linux's i8042 and atkbd drivers to probe it and for
/// the guest to reset the machine: the command byte, self and interface tests, port enables,
/// the output port, and a keyboard that answers reset, identify and the setting commands but
/// never types. There is no mouse behind the aux channel and no IRQ 12, so Linux concludes
/// after its aux interrupt test (about 250 ms) that there is no aux port; <c>i8042.noaux</c>
/// on the kernel command line skips that test.
/// </summary>
/// <remarks>
/// Command and bit names follow Linux's drivers/input/serio/i8042.h; the commands are the IBM
/// PC/AT Technical Reference's keyboard controller commands plus the PS/2 aux ones (0xA7-0xA9,
/// 0xD2-0xD4). The A20 gate (output port bit 1) is not modelled: a 64-bit guest never uses it.
/// </remarks>
public sealed class I8042 : ISuspendable
{
    /// <summary>Keyboard output the device holds back; a PS/2 keyboard buffers 16 bytes.</summary>
    public const int KeyboardBufferSize = 16;

    // Status register (port 0x64 read), i8042.h I8042_STR_*.
    private const byte StatusOutputFull = 0x01;
    private const byte StatusSystemFlag = 0x04;
    private const byte StatusLastWriteCommand = 0x08;
    private const byte StatusNotInhibited = 0x10;
    private const byte StatusAuxData = 0x20;

    // Command byte (controller RAM byte 0), i8042.h I8042_CTR_*.
    private const byte CtrKeyboardInterrupt = 0x01;
    private const byte CtrSystemFlag = 0x04;
    private const byte CtrKeyboardDisable = 0x10;
    private const byte CtrAuxDisable = 0x20;
    private const byte CtrTranslate = 0x40;

    // What firmware leaves behind: translated keyboard with its interrupt on, aux off, POST passed.
    private const byte DefaultCommandByte = CtrTranslate | CtrAuxDisable | CtrSystemFlag | CtrKeyboardInterrupt;

    // Output port, PC/AT Technical Reference: bit 0 is the CPU reset line (active low), bit 1 the A20 gate.
    private const byte OutputPortNotReset = 0x01;
    private const byte DefaultOutputPort = 0x03;

    // Controller commands (port 0x64 write), i8042.h I8042_CMD_* low bytes.
    private const byte CmdReadCommandByte = 0x20;
    private const byte CmdWriteCommandByte = 0x60;
    private const byte CmdAuxDisable = 0xa7;
    private const byte CmdAuxEnable = 0xa8;
    private const byte CmdAuxTest = 0xa9;
    private const byte CmdSelfTest = 0xaa;
    private const byte CmdKeyboardTest = 0xab;
    private const byte CmdKeyboardDisable = 0xad;
    private const byte CmdKeyboardEnable = 0xae;
    private const byte CmdReadOutputPort = 0xd0;
    private const byte CmdWriteOutputPort = 0xd1;
    private const byte CmdWriteKeyboardOutput = 0xd2;
    private const byte CmdWriteAuxOutput = 0xd3;
    private const byte CmdWriteAux = 0xd4;
    private const byte CmdPulseOutputFirst = 0xf0;

    private const byte SelfTestPassed = 0x55;
    private const byte InterfaceTestPassed = 0x00;

    // Keyboard commands and replies, IBM PS/2 keyboard reference; Linux's atkbd.c ATKBD_CMD_*/RET_*.
    private const byte KbdSetLeds = 0xed;
    private const byte KbdEcho = 0xee;
    private const byte KbdScancodeSet = 0xf0;
    private const byte KbdGetId = 0xf2;
    private const byte KbdSetRepeat = 0xf3;
    private const byte KbdEnable = 0xf4;
    private const byte KbdSetAllMakeBreak = 0xfd;
    private const byte KbdReset = 0xff;
    private const byte KbdAck = 0xfa;
    private const byte KbdResend = 0xfe;
    private const byte KbdSelfTestPassed = 0xaa;

    // An MF2 keyboard; the controller's translation turns its second ID byte 0x83 into 0x41.
    private const byte KbdIdFirst = 0xab;
    private const byte KbdIdSecond = 0x83;
    private const byte KbdIdSecondTranslated = 0x41;
    private const byte DefaultScancodeSet = 2;

    private readonly Lock _lock = new();
    private readonly IInterruptLine _keyboardInterrupt;
    private readonly Queue<byte> _keyboardOutput = new(KeyboardBufferSize);
    private byte _commandByte = DefaultCommandByte;
    private byte _outputPort = DefaultOutputPort;
    private byte _pendingCommand;
    private byte _keyboardPendingCommand;
    private byte _outputBuffer;
    private bool _outputFull;
    private bool _outputFromAux;
    private bool _systemFlag = true;
    private bool _lastWriteWasCommand;
    private byte _scancodeSet = DefaultScancodeSet;
    private bool _lineAsserted;

    /// <param name="keyboardInterrupt">IRQ 1, asserted while the output buffer holds a keyboard byte and the command byte enables it.</param>
    public I8042(IInterruptLine keyboardInterrupt)
    {
        ArgumentNullException.ThrowIfNull(keyboardInterrupt);
        _keyboardInterrupt = keyboardInterrupt;
        DataPort = new Port(this, isCommandPort: false);
        CommandPort = new Port(this, isCommandPort: true);
    }

    /// <summary>
    /// Raised, outside the device lock, when the guest pulses the CPU reset line (command 0xFE,
    /// or any 0xF0-0xFF pulse that includes bit 0, or an output port write with bit 0 clear).
    /// The guest keeps running until the VMM acts on it.
    /// </summary>
    public event Action? ResetRequested;

    /// <summary>Port 0x60, one byte wide: output buffer on read, command data or keyboard byte on write.</summary>
    public IBusDevice DataPort { get; }

    /// <summary>Port 0x64, one byte wide: status on read, controller command on write.</summary>
    public IBusDevice CommandPort { get; }

    /// <summary>Recreates a controller from a <see cref="GetState"/> snapshot and drives the keyboard interrupt to match it.</summary>
    /// <param name="state">The saved registers and at most the controller's buffer size of unsent keyboard bytes.</param>
    /// <param name="keyboardInterrupt">The keyboard's interrupt line (IRQ 1).</param>
    /// <exception cref="ArgumentException">The state holds more keyboard bytes than the controller buffers.</exception>
    public static I8042 FromState(I8042State state, IInterruptLine keyboardInterrupt)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.KeyboardOutput.Length > KeyboardBufferSize)
        {
            throw new ArgumentException(
                $"I8042 state holds {state.KeyboardOutput.Length} keyboard bytes, more than the {KeyboardBufferSize} it buffers", nameof(state));
        }
        var controller = new I8042(keyboardInterrupt)
        {
            _commandByte = state.CommandByte,
            _outputPort = state.OutputPort,
            _pendingCommand = state.PendingCommand,
            _keyboardPendingCommand = state.KeyboardPendingCommand,
            _outputBuffer = state.OutputBuffer,
            _outputFull = state.OutputFull,
            _outputFromAux = state.OutputFromAux,
            _systemFlag = state.SystemFlag,
            _lastWriteWasCommand = state.LastWriteWasCommand,
            _scancodeSet = state.ScancodeSet,
        };
        foreach (byte b in state.KeyboardOutput)
        {
            controller._keyboardOutput.Enqueue(b);
        }
        lock (controller._lock)
        {
            controller.UpdateInterrupt(newByteAfterRead: false);
        }
        return controller;
    }

    /// <summary>Takes a snapshot of the controller and keyboard state.</summary>
    public I8042State GetState()
    {
        lock (_lock)
        {
            return new I8042State
            {
                CommandByte = _commandByte,
                OutputPort = _outputPort,
                PendingCommand = _pendingCommand,
                KeyboardPendingCommand = _keyboardPendingCommand,
                OutputBuffer = _outputBuffer,
                OutputFull = _outputFull,
                OutputFromAux = _outputFromAux,
                SystemFlag = _systemFlag,
                LastWriteWasCommand = _lastWriteWasCommand,
                ScancodeSet = _scancodeSet,
                KeyboardOutput = _keyboardOutput.ToArray(),
            };
        }
    }

    private byte ReadData()
    {
        lock (_lock)
        {
            // Reading an empty buffer returns the stale byte, as the latch does.
            byte value = _outputBuffer;
            bool wasFull = _outputFull;
            _outputFull = false;
            _outputFromAux = false;
            DeliverKeyboardByte();
            UpdateInterrupt(newByteAfterRead: wasFull && _outputFull);
            return value;
        }
    }

    private byte ReadStatus()
    {
        lock (_lock)
        {
            int status = StatusNotInhibited;
            status |= _outputFull ? StatusOutputFull : 0;
            status |= _outputFull && _outputFromAux ? StatusAuxData : 0;
            status |= _systemFlag ? StatusSystemFlag : 0;
            status |= _lastWriteWasCommand ? StatusLastWriteCommand : 0;
            return (byte)status;
        }
    }

    private void WriteCommand(byte command)
    {
        bool reset = false;
        lock (_lock)
        {
            _lastWriteWasCommand = true;
            _pendingCommand = 0;
            switch (command)
            {
                case CmdReadCommandByte:
                    Respond(_commandByte);
                    break;
                case CmdWriteCommandByte or CmdWriteOutputPort or CmdWriteKeyboardOutput or CmdWriteAuxOutput or CmdWriteAux:
                    _pendingCommand = command;
                    break;
                case CmdAuxDisable:
                    _commandByte |= CtrAuxDisable;
                    break;
                case CmdAuxEnable:
                    _commandByte &= unchecked((byte)~CtrAuxDisable);
                    break;
                case CmdAuxTest or CmdKeyboardTest:
                    Respond(InterfaceTestPassed);
                    break;
                case CmdSelfTest:
                    _systemFlag = true;
                    Respond(SelfTestPassed);
                    break;
                case CmdKeyboardDisable:
                    _commandByte |= CtrKeyboardDisable;
                    break;
                case CmdKeyboardEnable:
                    _commandByte &= unchecked((byte)~CtrKeyboardDisable);
                    DeliverKeyboardByte();
                    break;
                case CmdReadOutputPort:
                    Respond(_outputPort);
                    break;
                case >= CmdPulseOutputFirst:
                    // Bits 3:0 select output port lines to pulse low; bit 0 is the reset line.
                    reset = (command & OutputPortNotReset) == 0;
                    break;
                default:
                    // Other commands (RAM reads, input port, test inputs) have no user in Linux.
                    break;
            }
            UpdateInterrupt(newByteAfterRead: false);
        }
        if (reset)
        {
            ResetRequested?.Invoke();
        }
    }

    private void WriteData(byte value)
    {
        bool reset = false;
        lock (_lock)
        {
            _lastWriteWasCommand = false;
            byte command = _pendingCommand;
            _pendingCommand = 0;
            switch (command)
            {
                case CmdWriteCommandByte:
                    _commandByte = value;
                    _systemFlag = (value & CtrSystemFlag) != 0;
                    DeliverKeyboardByte();
                    break;
                case CmdWriteOutputPort:
                    _outputPort = value;
                    reset = (value & OutputPortNotReset) == 0;
                    break;
                case CmdWriteKeyboardOutput:
                    Respond(value);
                    break;
                case CmdWriteAuxOutput:
                    Respond(value, fromAux: true);
                    break;
                case CmdWriteAux:
                    // No aux device is attached, so the byte goes nowhere.
                    break;
                default:
                    // Sending to the keyboard re-enables its clock, as real controllers do.
                    _commandByte &= unchecked((byte)~CtrKeyboardDisable);
                    KeyboardReceive(value);
                    DeliverKeyboardByte();
                    break;
            }
            UpdateInterrupt(newByteAfterRead: false);
        }
        if (reset)
        {
            ResetRequested?.Invoke();
        }
    }

    private void KeyboardReceive(byte value)
    {
        byte pending = _keyboardPendingCommand;
        if (pending != 0)
        {
            _keyboardPendingCommand = 0;
            KeyboardSend(KbdAck);
            if (pending == KbdScancodeSet)
            {
                if (value == 0)
                {
                    KeyboardSend(_scancodeSet);
                }
                else if (value <= 3)
                {
                    _scancodeSet = value;
                }
            }
            // LED and typematic settings are acknowledged and have nothing to drive.
            return;
        }
        switch (value)
        {
            case KbdReset:
                _keyboardOutput.Clear();
                _scancodeSet = DefaultScancodeSet;
                KeyboardSend(KbdAck);
                KeyboardSend(KbdSelfTestPassed);
                break;
            case KbdGetId:
                KeyboardSend(KbdAck);
                KeyboardSend(KbdIdFirst);
                KeyboardSend((_commandByte & CtrTranslate) != 0 ? KbdIdSecondTranslated : KbdIdSecond);
                break;
            case KbdEcho:
                KeyboardSend(KbdEcho);
                break;
            case KbdSetLeds or KbdSetRepeat or KbdScancodeSet:
                KeyboardSend(KbdAck);
                _keyboardPendingCommand = value;
                break;
            case >= KbdEnable and <= KbdSetAllMakeBreak:
                // Enable, disable, defaults and the scan set 3 key-type commands.
                KeyboardSend(KbdAck);
                break;
            default:
                KeyboardSend(KbdResend);
                break;
        }
    }

    private void KeyboardSend(byte value)
    {
        if (_keyboardOutput.Count < KeyboardBufferSize)
        {
            _keyboardOutput.Enqueue(value);
        }
    }

    /// <summary>Controller replies go straight into the one-byte output buffer.</summary>
    private void Respond(byte value, bool fromAux = false)
    {
        _outputBuffer = value;
        _outputFull = true;
        _outputFromAux = fromAux;
    }

    /// <summary>Moves the keyboard's next byte into an empty output buffer unless its clock is inhibited.</summary>
    private void DeliverKeyboardByte()
    {
        if (!_outputFull && (_commandByte & CtrKeyboardDisable) == 0 && _keyboardOutput.TryDequeue(out byte next))
        {
            Respond(next);
        }
    }

    private void UpdateInterrupt(bool newByteAfterRead)
    {
        bool asserted = _outputFull && !_outputFromAux && (_commandByte & CtrKeyboardInterrupt) != 0;
        if (asserted && _lineAsserted && newByteAfterRead)
        {
            // The next byte replaced the one just read: lower and raise the line so the
            // edge-triggered ISA input sees a new interrupt, as the keyboard's gap would give.
            _keyboardInterrupt.Set(false);
            _keyboardInterrupt.Set(true);
            return;
        }
        if (asserted != _lineAsserted)
        {
            _lineAsserted = asserted;
            _keyboardInterrupt.Set(asserted);
        }
    }

    /// <summary>One of the controller's two ports as a bus device; wider accesses touch only their first byte.</summary>
    private sealed class Port(I8042 controller, bool isCommandPort) : IBusDevice
    {
        public void Read(ulong offset, Span<byte> data)
        {
            if (data.IsEmpty)
            {
                return;
            }
            data.Fill(0xff);
            data[0] = isCommandPort ? controller.ReadStatus() : controller.ReadData();
        }

        public void Write(ulong offset, ReadOnlySpan<byte> data)
        {
            if (data.IsEmpty)
            {
                return;
            }
            if (isCommandPort)
            {
                controller.WriteCommand(data[0]);
            }
            else
            {
                controller.WriteData(data[0]);
            }
        }
    }

    /// <inheritdoc/>
    public string PowerName => "i8042";

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
