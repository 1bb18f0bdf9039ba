using System.Text.Json;
using System.Text.Json.Serialization;

namespace Vireo.Devices.Tests;

/// <summary>
/// <see cref="Serial8250.GetState"/> and <see cref="Serial8250.RestoreState"/>: a UART restored
/// into a fresh instance (as in a new process) must be indistinguishable to the guest, drive its
/// interrupt line to the level its registers imply, and refuse states a 16550A cannot be in.
/// </summary>
public sealed class Serial8250StateTests
{
    // Offsets and bits as in Linux's include/uapi/linux/serial_reg.h.
    private const ulong Tx = 0, Dll = 0, Ier = 1, Dlm = 1, Iir = 2, Fcr = 2, Lcr = 3, Mcr = 4, Lsr = 5, Msr = 6, Scr = 7;
    private const int Capacity = 16;

    private readonly RecordingInterruptLine _sourceLine = new();
    private readonly List<byte> _sourceOutput = [];
    private readonly Serial8250 _source;

    public Serial8250StateTests()
    {
        _source = new Serial8250(_sourceLine, bytes => _sourceOutput.AddRange(bytes.ToArray()), Capacity);
    }

    [Fact]
    public void ARestoredGuestProgrammedUartReadsTheSameAsTheOriginal()
    {
        ProgramLikeAGuest(_source);
        Serial8250State state = _source.GetState();
        // The scenario is what it says: every kind of state is non-trivial.
        Assert.Equal(0x0103, state.Divisor);
        Assert.Equal(0x1b, state.LineControl);
        Assert.Equal(0x0f, state.InterruptEnable);
        Assert.Equal(0x1a, state.ModemControl);
        Assert.Equal(0x02, state.LineStatusErrors);
        Assert.Equal(0x02, state.ModemStatusDeltas);
        Assert.Equal(0xc1, state.FifoControl);
        Assert.Equal(0x5a, state.Scratch);
        Assert.True(state.TransmitterEmptyPending);
        Assert.Equal(15, state.ReceiveFifo.Length);
        Assert.Equal(4, state.RxDropped);
        Assert.True(_sourceLine.Asserted);

        var line = new RecordingInterruptLine();
        var output = new List<byte>();
        var restored = new Serial8250(line, bytes => output.AddRange(bytes.ToArray()), Capacity);
        restored.RestoreState(state);

        Assert.Equal(state, restored.GetState());
        Assert.Equal(4, restored.RxDropped);
        Assert.Equal(_source.RxFree, restored.RxFree);
        Assert.Equal([true], line.Levels);

        // The guest's view: every register read in turn, with the line after each, until the
        // FIFO is drained and every read-to-clear bit is gone; then the divisor latch; then
        // leaving loopback and transmitting.
        Assert.Equal(GuestSession(_source, _sourceLine), GuestSession(restored, line));
        Assert.Equal(_sourceOutput, output);
        Assert.Equal("Z"u8.ToArray(), output);
        Assert.Equal(_source.GetState(), restored.GetState());
    }

    [Fact]
    public void AFreshUartRoundTrips()
    {
        Serial8250State state = _source.GetState();
        Assert.Equal(new Serial8250State { Divisor = 12 }, state);

        var line = new RecordingInterruptLine();
        var restored = new Serial8250(line, output: null, Capacity);
        restored.RestoreState(state);

        Assert.Equal(state, restored.GetState());
        // Driven low even though a fresh device already believes it is low.
        Assert.Equal([false], line.Levels);
        Assert.Equal(GuestSession(_source, _sourceLine), GuestSession(restored, line));
    }

    [Fact]
    public void RestoreRaisesTheLineWhenAnInterruptIsPendingAndLowersItWhenNot()
    {
        var line = new RecordingInterruptLine();
        var uart = new Serial8250(line, output: null, Capacity);

        uart.RestoreState(new Serial8250State { InterruptEnable = 0x01, ReceiveFifo = [0x41] });
        Assert.True(line.Asserted);
        Assert.Equal([true], line.Levels);

        // The same registers restored again: the line is driven again, to the same level.
        uart.RestoreState(new Serial8250State { InterruptEnable = 0x01, ReceiveFifo = [0x41] });
        Assert.Equal([true, true], line.Levels);

        // Data waiting, but the guest has RDA masked: nothing pending, so the line drops.
        uart.RestoreState(new Serial8250State { InterruptEnable = 0x00, ReceiveFifo = [0x41] });
        Assert.False(line.Asserted);
        Assert.Equal(0x01, In(uart, Iir));
        Assert.Equal(0x41, In(uart, 0));
    }

    [Theory]
    // IER, LSR errors, MSR deltas, THRE pending, rx bytes, FCR -> the IIR the first read reports.
    [InlineData(0x01, 0x00, 0x00, false, 1, 0x00, 0x04)]
    [InlineData(0x01, 0x00, 0x00, false, 1, 0xc1, 0xc4)]
    [InlineData(0x04, 0x02, 0x00, false, 0, 0x00, 0x06)]
    [InlineData(0x0f, 0x10, 0x01, true, 3, 0x81, 0xc6)]
    [InlineData(0x0b, 0x10, 0x01, true, 3, 0x00, 0x04)]
    [InlineData(0x02, 0x00, 0x00, true, 0, 0x00, 0x02)]
    [InlineData(0x08, 0x00, 0x02, false, 0, 0x00, 0x00)]
    [InlineData(0x00, 0x1e, 0x0f, true, 5, 0xc9, 0xc1)]
    [InlineData(0x0f, 0x00, 0x00, false, 0, 0x01, 0xc1)]
    public void TheRestoredLineFollowsWhatIirReports(
        byte ier, byte lsrErrors, byte msrDeltas, bool thrPending, int rxBytes, byte fcr, byte expectedIir)
    {
        var line = new RecordingInterruptLine();
        var uart = new Serial8250(line, output: null, Capacity);
        uart.RestoreState(new Serial8250State
        {
            InterruptEnable = ier,
            LineStatusErrors = lsrErrors,
            ModemStatusDeltas = msrDeltas,
            TransmitterEmptyPending = thrPending,
            ReceiveFifo = new byte[rxBytes],
            FifoControl = fcr,
        });

        bool pending = (expectedIir & 0x01) == 0;
        Assert.Equal([pending], line.Levels);
        Assert.Equal(expectedIir, In(uart, Iir));
    }

    public static TheoryData<string, string> InvalidStates => new()
    {
        { "IER bit 4", nameof(Serial8250State.InterruptEnable) },
        { "IER bit 7", nameof(Serial8250State.InterruptEnable) },
        { "MCR bit 5", nameof(Serial8250State.ModemControl) },
        { "MCR bits 7:5", nameof(Serial8250State.ModemControl) },
        { "LSR data ready", nameof(Serial8250State.LineStatusErrors) },
        { "LSR THRE", nameof(Serial8250State.LineStatusErrors) },
        { "LSR FIFO error", nameof(Serial8250State.LineStatusErrors) },
        { "MSR line state", nameof(Serial8250State.ModemStatusDeltas) },
        { "FCR clear receive", nameof(Serial8250State.FifoControl) },
        { "FCR clear transmit", nameof(Serial8250State.FifoControl) },
        { "FCR reserved bits", nameof(Serial8250State.FifoControl) },
        { "FCR trigger with FIFOs off", nameof(Serial8250State.FifoControl) },
        { "rx FIFO one over capacity", nameof(Serial8250State.ReceiveFifo) },
        { "rx FIFO null", nameof(Serial8250State.ReceiveFifo) },
        { "negative drop count", nameof(Serial8250State.RxDropped) },
    };

    [Theory]
    [MemberData(nameof(InvalidStates))]
    public void AnInvalidStateIsRefusedAndChangesNothing(string invalid, string field)
    {
        var valid = new Serial8250State { Divisor = 1, ReceiveFifo = [1, 2, 3] };
        Serial8250State state = invalid switch
        {
            "IER bit 4" => valid with { InterruptEnable = 0x10 },
            "IER bit 7" => valid with { InterruptEnable = 0x83 },
            "MCR bit 5" => valid with { ModemControl = 0x28 },
            "MCR bits 7:5" => valid with { ModemControl = 0xff },
            "LSR data ready" => valid with { LineStatusErrors = 0x01 },
            "LSR THRE" => valid with { LineStatusErrors = 0x22 },
            "LSR FIFO error" => valid with { LineStatusErrors = 0x80 },
            "MSR line state" => valid with { ModemStatusDeltas = 0x10 },
            "FCR clear receive" => valid with { FifoControl = 0x03 },
            "FCR clear transmit" => valid with { FifoControl = 0x05 },
            "FCR reserved bits" => valid with { FifoControl = 0x31 },
            "FCR trigger with FIFOs off" => valid with { FifoControl = 0xc0 },
            "rx FIFO one over capacity" => valid with { ReceiveFifo = new byte[Capacity + 1] },
            "rx FIFO null" => valid with { ReceiveFifo = null! },
            "negative drop count" => valid with { RxDropped = -1 },
            _ => throw new ArgumentOutOfRangeException(nameof(invalid), invalid, null),
        };
        ProgramLikeAGuest(_source);
        Serial8250State before = _source.GetState();
        int levels = _sourceLine.Levels.Count;

        var error = Assert.Throws<ArgumentException>(() => _source.RestoreState(state));

        Assert.Contains($"Serial8250State.{field}", error.Message);
        Assert.Equal("state", error.ParamName);
        Assert.Equal(before, _source.GetState());
        Assert.Equal(levels, _sourceLine.Levels.Count);
        Assert.True(_sourceLine.Asserted);
        // FromState refuses the same states.
        Assert.Throws<ArgumentException>(() => Serial8250.FromState(state, new RecordingInterruptLine(), null, Capacity));
    }

    [Fact]
    public void ANullStateIsRefused()
    {
        Assert.Throws<ArgumentNullException>(() => _source.RestoreState(null!));
        Assert.Empty(_sourceLine.Levels);
    }

    [Fact]
    public void EveryBitA16550aHoldsIsAccepted()
    {
        var state = new Serial8250State
        {
            InterruptEnable = 0x0f,
            LineControl = 0xff,
            ModemControl = 0x1f,
            LineStatusErrors = 0x1e,
            ModemStatusDeltas = 0x0f,
            Scratch = 0xff,
            Divisor = 0xffff,
            FifoControl = 0xc9,
            TransmitterEmptyPending = true,
            ReceiveFifo = Enumerable.Range(0, Capacity).Select(i => (byte)i).ToArray(),
            RxDropped = long.MaxValue,
        };
        _source.RestoreState(state);
        Assert.Equal(state, _source.GetState());
        Assert.True(_sourceLine.Asserted);
    }

    [Fact]
    public void TheStateSurvivesSourceGeneratedJson()
    {
        ProgramLikeAGuest(_source);
        Serial8250State state = _source.GetState();

        string json = JsonSerializer.Serialize(state, Serial8250StateJsonContext.Default.Serial8250State);
        Serial8250State? back = JsonSerializer.Deserialize(json, Serial8250StateJsonContext.Default.Serial8250State);

        Assert.Equal(state, back);
        var restored = new Serial8250(new RecordingInterruptLine(), output: null, Capacity);
        restored.RestoreState(back!);
        Assert.Equal(state, restored.GetState());
    }

    [Fact]
    public void AJsonNullFifoIsRefusedNotACrash()
    {
        Serial8250State? state = JsonSerializer.Deserialize(
            """{"InterruptEnable":1,"ReceiveFifo":null}""", Serial8250StateJsonContext.Default.Serial8250State);
        var error = Assert.Throws<ArgumentException>(() => _source.RestoreState(state!));
        Assert.Contains("ReceiveFifo", error.Message);
        Assert.Empty(_sourceLine.Levels);
    }

    /// <summary>
    /// A guest's setup: 8E1 at divisor 0x0103 through DLAB, FIFOs on at trigger 14, every
    /// interrupt enabled, OUT2 for the PC's IRQ gate, scratch written; host input that overruns the
    /// FIFO (OE, four bytes dropped), two bytes read; then loopback with DSR falling (an MSR delta)
    /// and one byte looped back (THRE pending again).
    /// </summary>
    private static void ProgramLikeAGuest(Serial8250 uart)
    {
        Out(uart, Lcr, 0x80);
        Out(uart, Dll, 0x03);
        Out(uart, Dlm, 0x01);
        Out(uart, Lcr, 0x1b);
        Out(uart, Fcr, 0xc7);
        Out(uart, Mcr, 0x0b);
        Out(uart, Ier, 0x0f);
        Out(uart, Scr, 0x5a);
        Assert.Equal(Capacity, uart.Enqueue(Enumerable.Range(0x30, Capacity + 4).Select(i => (byte)i).ToArray()));
        In(uart, 0);
        In(uart, 0);
        Out(uart, Mcr, 0x1a);
        Out(uart, Tx, 0x7e);
    }

    /// <summary>What the guest sees, read by read, with the interrupt level after each access.</summary>
    private static List<(string Access, byte Value, bool Line)> GuestSession(Serial8250 uart, RecordingInterruptLine line)
    {
        var seen = new List<(string, byte, bool)>();
        for (int round = 0; round < Capacity + 2; round++)
        {
            for (ulong register = Serial8250.RegisterCount; register-- > 0;)
            {
                // Backwards, so LSR and IIR are seen before the data read changes them.
                seen.Add(($"in {register}", In(uart, register), line.Asserted));
            }
        }
        byte lcr = In(uart, Lcr);
        Out(uart, Lcr, (byte)(lcr | 0x80));
        seen.Add(("dll", In(uart, Dll), line.Asserted));
        seen.Add(("dlm", In(uart, Dlm), line.Asserted));
        Out(uart, Lcr, lcr);
        Out(uart, Mcr, 0x0b);
        seen.Add(("msr after loop off", In(uart, Msr), line.Asserted));
        Out(uart, Tx, (byte)'Z');
        seen.Add(("iir after tx", In(uart, Iir), line.Asserted));
        seen.Add(("iir again", In(uart, Iir), line.Asserted));
        seen.Add(("lsr", In(uart, Lsr), line.Asserted));
        return seen;
    }

    private static byte In(Serial8250 uart, ulong offset)
    {
        Span<byte> data = stackalloc byte[1];
        uart.Read(offset, data);
        return data[0];
    }

    private static void Out(Serial8250 uart, ulong offset, byte value) => uart.Write(offset, [value]);
}

/// <summary>
/// The test's own source-generated context, standing in for the application's (NativeAOT allows
/// no reflection-based serialisation), to show the state record fits one.
/// </summary>
[JsonSerializable(typeof(Serial8250State))]
internal sealed partial class Serial8250StateJsonContext : JsonSerializerContext;
