namespace Vireo.Devices.Tests;

public sealed class Serial8250Tests
{
    // Offsets and bits as in Linux's include/uapi/linux/serial_reg.h.
    private const ulong Rx = 0, Tx = 0, Dll = 0, Ier = 1, Dlm = 1, Iir = 2, Fcr = 2, Lcr = 3, Mcr = 4, Lsr = 5, Msr = 6, Scr = 7;

    private readonly RecordingInterruptLine _irq = new();
    private readonly List<byte> _output = [];
    private readonly Serial8250 _uart;

    public Serial8250Tests()
    {
        _uart = new Serial8250(_irq, bytes => _output.AddRange(bytes.ToArray()), rxCapacity: 16);
    }

    [Fact]
    public void ResetValuesMatchTheDatasheet()
    {
        Assert.Equal(0x00, In(Ier));
        Assert.Equal(0x01, In(Iir));
        Assert.Equal(0x00, In(Lcr));
        Assert.Equal(0x00, In(Mcr));
        Assert.Equal(0x60, In(Lsr));
        Assert.Equal(0xb0, In(Msr));
        Assert.Empty(_irq.Levels);
    }

    [Fact]
    public void ScratchAndDivisorLatchAreSeparateFromDataAndIer()
    {
        Out(Scr, 0xa5);
        Assert.Equal(0xa5, In(Scr));
        Out(Lcr, 0x83);
        Out(Dll, 0x01);
        Out(Dlm, 0x02);
        Assert.Equal(0x01, In(Dll));
        Assert.Equal(0x02, In(Dlm));
        Out(Lcr, 0x03);
        Assert.Equal(0x00, In(Ier));
        Assert.Empty(_output);
        Out(Tx, (byte)'A');
        Assert.Equal("A"u8.ToArray(), _output);
        Assert.Equal(0x0201, _uart.GetState().Divisor);
    }

    [Fact]
    public void IerKeepsOnlyItsLowNibble()
    {
        Out(Ier, 0xff);
        Assert.Equal(0x0f, In(Ier));
    }

    /// <summary>
    /// Replays drivers/tty/serial/8250/8250_port.c autoconfig() and autoconfig_16550a() (with
    /// the 16550A variant checks), plus the scratch test of autoconfig_8250(), taking each
    /// branch the driver would and returning the port type it would settle on.
    /// </summary>
    [Fact]
    public void LinuxAutoconfigDetectsA16550A()
    {
        Assert.Equal("16550A", LinuxAutoconfig());
        // The probe leaves the port idle: no interrupt raised, LCR and MCR restored.
        Assert.False(_irq.Asserted);
        Assert.Equal(0x00, In(Lcr));
        Assert.Equal(0x00, In(Mcr));
        Assert.Empty(_output);
    }

    private string LinuxAutoconfig()
    {
        // IER test: 0 reads back as 0 and 0x0f as 0x0f in the low nibble.
        byte scratch = In(Ier);
        Out(Ier, 0);
        byte scratch2 = (byte)(In(Ier) & 0x0f);
        Out(Ier, 0x0f);
        byte scratch3 = (byte)(In(Ier) & 0x0f);
        Out(Ier, scratch);
        if (scratch2 != 0 || scratch3 != 0x0f)
        {
            return "none (IER test)";
        }

        byte saveMcr = In(Mcr);
        byte saveLcr = In(Lcr);

        // Loopback test: RTS and OUT2 come back as CTS and DCD.
        Out(Mcr, 0x10 | 0x0a);
        byte status1 = (byte)(In(Msr) & 0xf0);
        Out(Mcr, saveMcr);
        if (status1 != 0x90)
        {
            return $"none (loop test {status1:x2})";
        }

        // Zero the EFR (FCR on a 16550A) under LCR 0xBF, then enable the FIFOs and look at IIR[7:6].
        Out(Lcr, 0xbf);
        Out(2, 0);
        Out(Lcr, 0);
        Out(Fcr, 0x01);
        string type = (In(Iir) >> 6) switch
        {
            0 => Autoconfig8250(),
            1 => "16550 (buggy)",
            2 => "16550",
            _ => Autoconfig16550A(),
        };

        Out(Lcr, saveLcr);
        Out(Mcr, saveMcr);
        // serial8250_clear_fifos(), then a read of RX and IER cleared.
        Out(Fcr, 0x01);
        Out(Fcr, 0x07);
        Out(Fcr, 0);
        In(Rx);
        Out(Ier, 0);
        return type;
    }

    private string Autoconfig8250()
    {
        byte scratch = In(Scr);
        Out(Scr, 0xa5);
        byte status1 = In(Scr);
        Out(Scr, 0x5a);
        byte status2 = In(Scr);
        Out(Scr, scratch);
        return status1 == 0xa5 && status2 == 0x5a ? "16450" : "8250";
    }

    private string Autoconfig16550A()
    {
        // EFR under DLAB (ST16C650V1) and under 0xBF (ST16C650V2): a 16550A shows IIR there, never 0.
        Out(Lcr, 0x80);
        if (In(2) == 0)
        {
            return "16650";
        }
        Out(Lcr, 0xbf);
        if (In(2) == 0)
        {
            return "16650V2";
        }

        // National SuperIO: bank 2's EXCR1 would mirror MCR's loop bit at offset 2.
        Out(Lcr, 0);
        byte status1 = In(Mcr);
        Out(Lcr, 0xe0);
        byte status2 = In(2);
        if (((status2 ^ status1) & 0x10) == 0)
        {
            Out(Lcr, 0);
            Out(Mcr, (byte)(status1 ^ 0x10));
            Out(Lcr, 0xe0);
            status2 = In(2);
            Out(Lcr, 0);
            Out(Mcr, status1);
            if (((status2 ^ status1) & 0x10) != 0)
            {
                return "NS16550A";
            }
        }

        // TI16750: IIR bit 5 follows FCR bit 5 with DLAB set.
        Out(Lcr, 0);
        Out(Fcr, 0x21);
        status1 = (byte)(In(Iir) & 0xe0);
        Out(Fcr, 0x01);
        Out(Lcr, 0x80);
        Out(Fcr, 0x21);
        status2 = (byte)(In(Iir) & 0xe0);
        Out(Fcr, 0x01);
        Out(Lcr, 0);
        if (status1 == 0xc0 && status2 == 0xe0)
        {
            return "16750";
        }

        // XScale: IER bit 6 (UUE) would stick.
        byte ierSave = In(Ier);
        Out(Ier, (byte)(ierSave & ~0x40));
        if ((In(Ier) & 0x40) == 0)
        {
            Out(Ier, (byte)(ierSave | 0x40));
            if ((In(Ier) & 0x40) != 0)
            {
                Out(Ier, ierSave);
                return "XScale";
            }
        }
        Out(Ier, ierSave);
        return "16550A";
    }

    /// <summary>serial8250_do_startup(): THRE must assert on enabling THRI, clear on reading IIR, and reassert on re-enabling.</summary>
    [Fact]
    public void ThreInterruptFollowsLinuxStartupTest()
    {
        Assert.NotEqual(0xff, In(Lsr));
        Out(Ier, 0x02);
        byte iir1 = In(Iir);
        Out(Ier, 0);
        Out(Ier, 0x02);
        byte iir = In(Iir);
        Out(Ier, 0);

        Assert.Equal(0x02, iir1 & 0x0f);
        Assert.Equal(0x02, iir & 0x0f);
        Assert.Equal([true, false, true, false], _irq.Levels);
    }

    [Fact]
    public void TransmittingReraisesThreUntilTheDriverDisablesIt()
    {
        Out(Ier, 0x02);
        Assert.True(_irq.Asserted);
        Assert.Equal(0x02, In(Iir) & 0x0f);
        Assert.False(_irq.Asserted);
        Out(Tx, (byte)'o');
        Out(Tx, (byte)'k');
        Assert.True(_irq.Asserted);
        Out(Ier, 0);
        Assert.False(_irq.Asserted);
        Assert.Equal("ok"u8.ToArray(), _output);
        Assert.Equal(0x60, In(Lsr) & 0x60);
    }

    [Fact]
    public void ReceivedDataRaisesRdaUntilTheFifoIsDrained()
    {
        Out(Fcr, 0xc1);
        Out(Ier, 0x01);
        Assert.Equal(0xc1, In(Iir));
        Assert.Equal(3, _uart.Enqueue("hi\n"u8));
        Assert.True(_irq.Asserted);
        Assert.Equal(0xc4, In(Iir));
        Assert.Equal(0x61, In(Lsr));
        Assert.Equal((byte)'h', In(Rx));
        Assert.Equal((byte)'i', In(Rx));
        Assert.True(_irq.Asserted);
        Assert.Equal((byte)'\n', In(Rx));
        Assert.False(_irq.Asserted);
        Assert.Equal(0x60, In(Lsr));
        Assert.Equal(0xc1, In(Iir));
    }

    [Fact]
    public void InterruptIdFollowsPriority()
    {
        // Overflow sets OE: line status outranks received data, which outranks THRE.
        _uart.Enqueue(new byte[17]);
        Out(Ier, 0x0f);
        Assert.Equal(0x06, In(Iir));
        Assert.Equal(0x63, In(Lsr));
        Assert.Equal(0x04, In(Iir));
        Out(Fcr, 0x03);
        Assert.Equal(0xc2, In(Iir));
        // The THRE read cleared it; nothing else is pending.
        Assert.Equal(0xc1, In(Iir));
        Assert.False(_irq.Asserted);
    }

    [Fact]
    public void OverflowDropsCountsAndReportsAnOverrun()
    {
        int accepted = _uart.Enqueue(Enumerable.Range(0, 20).Select(i => (byte)i).ToArray());

        Assert.Equal(16, accepted);
        Assert.Equal(4, _uart.RxDropped);
        Assert.Equal(0, _uart.RxFree);
        Assert.Equal(0x63, In(Lsr));
        Assert.Equal(0x61, In(Lsr));
        for (int i = 0; i < 16; i++)
        {
            Assert.Equal(i, In(Rx));
        }
        Assert.Equal(16, _uart.RxFree);
    }

    [Fact]
    public void FillTakesWhatFitsWithoutAnOverrun()
    {
        int taken = _uart.Fill(Enumerable.Range(0, 20).Select(i => (byte)i).ToArray());

        Assert.Equal(16, taken);
        Assert.Equal(0, _uart.RxDropped);
        // Data ready, transmitter empty and idle; no OE (bit 1) for a sender that waits.
        Assert.Equal(0x61, In(Lsr));
        for (int i = 0; i < 16; i++)
        {
            Assert.Equal(i, In(Rx));
        }
    }

    [Fact]
    public void InputArrivedFiresOnlyWhenInputWasAccepted()
    {
        int raised = 0;
        _uart.InputArrived += () => raised++;
        _uart.Enqueue("x"u8);
        _uart.Enqueue([]);
        Out(Mcr, 0x10);
        _uart.Enqueue("y"u8);
        Assert.Equal(1, raised);
        Assert.Equal(1, _uart.RxDropped);
    }

    [Fact]
    public void LoopbackEchoesTransmitsAndModemLines()
    {
        Out(Mcr, 0x10);
        // Entering loopback drops CTS, DSR and DCD: their deltas are set once.
        Assert.Equal(0x0b, In(Msr));
        Out(Mcr, 0x1f);
        Assert.Equal(0xfb, In(Msr));
        Out(Mcr, 0x1b);
        // RI fell: trailing-edge RI.
        Assert.Equal(0xb4, In(Msr));
        Out(Tx, 0x42);
        Assert.Empty(_output);
        Assert.Equal(0x61, In(Lsr));
        Assert.Equal(0x42, In(Rx));
    }

    [Fact]
    public void ModemStatusInterruptIsLowestPriority()
    {
        Out(Ier, 0x08);
        Out(Mcr, 0x10);
        Assert.True(_irq.Asserted);
        Assert.Equal(0x00, In(Iir));
        In(Msr);
        Assert.False(_irq.Asserted);
    }

    [Fact]
    public void DisablingFifosClearsThem()
    {
        Out(Fcr, 0x01);
        _uart.Enqueue("abc"u8);
        Out(Fcr, 0x00);
        Assert.Equal(0x60, In(Lsr));
        Assert.Equal(0x01, In(Iir));
    }

    [Fact]
    public void WideAccessesSplitIntoConsecutivePorts()
    {
        _uart.Write(Ier, [0x05, 0xc1]);
        Span<byte> data = stackalloc byte[2];
        _uart.Read(Ier, data);
        Assert.Equal([0x05, 0xc1], data.ToArray());
    }

    [Fact]
    public void StateRoundTrips()
    {
        Out(Lcr, 0x80);
        Out(Dll, 0x01);
        Out(Lcr, 0x03);
        Out(Fcr, 0x81);
        Out(Scr, 0x5a);
        Out(Mcr, 0x0b);
        Out(Ier, 0x07);
        _uart.Enqueue(new byte[20]);
        Serial8250State state = _uart.GetState();

        var line = new RecordingInterruptLine();
        var restored = Serial8250.FromState(state, line, output: null, rxCapacity: 16);

        Assert.Equal(state, restored.GetState());
        Assert.Equal(16, state.ReceiveFifo.Length);
        Assert.Equal(0x81, state.FifoControl);
        Assert.True(state.TransmitterEmptyPending);
        // The restored device drives its line to the pending level at once.
        Assert.Equal([true], line.Levels);
        Assert.Throws<ArgumentException>(() => Serial8250.FromState(state, line, null, rxCapacity: 8));
    }

    private byte In(ulong offset)
    {
        Span<byte> data = stackalloc byte[1];
        _uart.Read(offset, data);
        return data[0];
    }

    private void Out(ulong offset, byte value) => _uart.Write(offset, [value]);
}
