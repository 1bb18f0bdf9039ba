namespace Vireo.Devices.Tests;

public sealed class I8042Tests
{
    // Status and command byte bits as in Linux's drivers/input/serio/i8042.h.
    private const byte StrObf = 0x01, StrIbf = 0x02, StrAuxData = 0x20, StrKeylock = 0x10;
    private const byte CtrKbdInt = 0x01, CtrKbdDis = 0x10, CtrAuxDis = 0x20, CtrXlate = 0x40;

    private readonly RecordingInterruptLine _irq1 = new();
    private readonly I8042 _i8042;
    private int _resets;

    public I8042Tests()
    {
        _i8042 = new I8042(_irq1);
        _i8042.ResetRequested += () => _resets++;
    }

    [Fact]
    public void IdleStatusShowsAnEmptyControllerWithTheKeylockOff()
    {
        byte status = Status();
        Assert.Equal(0, status & (StrObf | StrIbf));
        Assert.NotEqual(0, status & StrKeylock);
        Assert.NotEqual(0xff, status);
    }

    [Fact]
    public void SelfTestAndInterfaceTestsPass()
    {
        Assert.Equal(0x55, Command(0xaa));
        Assert.Equal(0x00, Command(0xab));
        Assert.Equal(0x00, Command(0xa9));
        Assert.Equal(0, Status() & StrObf);
    }

    [Fact]
    public void CommandByteReadsBackWhatWasWritten()
    {
        byte initial = Command(0x20);
        Assert.Equal(CtrXlate | CtrAuxDis | 0x04 | CtrKbdInt, initial);
        Cmd(0x60);
        Data(0x47);
        Assert.Equal(0x47, Command(0x20));
    }

    [Fact]
    public void PortEnableCommandsToggleTheCommandByte()
    {
        Cmd(0xa8);
        Assert.Equal(0, Command(0x20) & CtrAuxDis);
        Cmd(0xa7);
        Assert.NotEqual(0, Command(0x20) & CtrAuxDis);
        Cmd(0xad);
        Assert.NotEqual(0, Command(0x20) & CtrKbdDis);
        Cmd(0xae);
        Assert.Equal(0, Command(0x20) & CtrKbdDis);
    }

    /// <summary>i8042_controller_init(): two matching CTR reads, keyboard disabled, CTR written back, flush.</summary>
    [Fact]
    public void LinuxControllerInitSequenceSucceeds()
    {
        // i8042_flush(): nothing buffered.
        Assert.Equal(0, Status() & StrObf);
        byte ctr0 = Command(0x20);
        byte ctr1 = Command(0x20);
        Assert.Equal(ctr0, ctr1);
        byte ctr = (byte)((ctr0 | CtrKbdDis) & ~CtrKbdInt);
        Cmd(0x60);
        Data(ctr);
        Assert.Equal(ctr, Command(0x20));
        Assert.Equal(0, Status() & StrObf);
        Assert.False(_irq1.Asserted);
    }

    [Fact]
    public void AuxLoopbackComesBackFlaggedAsAuxWithoutKeyboardInterrupt()
    {
        Cmd(0xd3);
        Data(0x5a);
        Assert.Equal(StrObf | StrAuxData, Status() & (StrObf | StrAuxData));
        Assert.False(_irq1.Asserted);
        Assert.Equal(0x5a, ReadData());
        Assert.Equal(0, Status() & StrObf);
    }

    [Fact]
    public void KeyboardResetAcksThenPassesBatWithAnEdgePerByte()
    {
        Data(0xff);
        Assert.True(_irq1.Asserted);
        Assert.Equal(0xfa, ReadData());
        Assert.True(_irq1.Asserted);
        Assert.Equal(0xaa, ReadData());
        Assert.False(_irq1.Asserted);
        Assert.Equal(2, _irq1.Edges);
        Assert.Equal([true, false, true, false], _irq1.Levels);
    }

    [Fact]
    public void KeyboardIdentifiesAsTranslatedMf2()
    {
        Data(0xf2);
        Assert.Equal([0xfa, 0xab, 0x41], Drain());
        Cmd(0x60);
        Data(CtrKbdInt);
        Data(0xf2);
        Assert.Equal([0xfa, 0xab, 0x83], Drain());
    }

    [Fact]
    public void KeyboardAcksCommandsAndTheirArguments()
    {
        Data(0xed);
        Data(0x07);
        Data(0xf3);
        Data(0x20);
        Data(0xf4);
        Data(0xf0);
        Data(0x00);
        Data(0xee);
        Data(0x12);
        Assert.Equal([0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0x02, 0xee, 0xfe], Drain());
    }

    [Fact]
    public void KeyboardInterruptFollowsTheCommandByte()
    {
        Cmd(0x60);
        Data(0x00);
        Data(0xf4);
        Assert.False(_irq1.Asserted);
        Assert.Equal(StrObf, Status() & StrObf);
        Cmd(0x60);
        Data(CtrKbdInt);
        // The ack waiting in the output buffer now raises IRQ 1.
        Assert.True(_irq1.Asserted);
        Assert.Equal(0xfa, ReadData());
        Assert.False(_irq1.Asserted);
    }

    [Fact]
    public void DisabledKeyboardHoldsItsBytesUntilEnabled()
    {
        Data(0xf2);
        Assert.Equal(0xfa, ReadData());
        Cmd(0xad);
        Assert.Equal(0xab, ReadData());
        Assert.Equal(0, Status() & StrObf);
        Cmd(0xae);
        Assert.Equal(0x41, ReadData());
    }

    [Theory]
    [InlineData(0xfe)]
    [InlineData(0xf0)]
    public void PulsingTheResetLineRequestsAReset(byte command)
    {
        Cmd(command);
        Assert.Equal(1, _resets);
    }

    [Fact]
    public void OtherPulsesDoNotReset()
    {
        Cmd(0xff);
        Cmd(0xf1);
        Assert.Equal(0, _resets);
    }

    [Fact]
    public void OutputPortWriteWithResetLowRequestsAReset()
    {
        Cmd(0xd1);
        Data(0x03);
        Assert.Equal(0, _resets);
        Assert.Equal(0x03, Command(0xd0));
        Cmd(0xd1);
        Data(0x02);
        Assert.Equal(1, _resets);
    }

    [Fact]
    public void StateRoundTrips()
    {
        Data(0xff);
        Cmd(0xad);
        Data(0xed);
        Cmd(0xd1);
        I8042State state = _i8042.GetState();
        Assert.Equal(0xd1, state.PendingCommand);
        Assert.Equal(0xed, state.KeyboardPendingCommand);

        var line = new RecordingInterruptLine();
        var restored = I8042.FromState(state, line);

        Assert.Equal(state, restored.GetState());
        Assert.Equal([true], line.Levels);
        Assert.Throws<ArgumentException>(() => I8042.FromState(state with { KeyboardOutput = new byte[17] }, line));
    }

    private byte Status()
    {
        Span<byte> data = stackalloc byte[1];
        _i8042.CommandPort.Read(0, data);
        return data[0];
    }

    private byte ReadData()
    {
        Span<byte> data = stackalloc byte[1];
        _i8042.DataPort.Read(0, data);
        return data[0];
    }

    private void Cmd(byte command) => _i8042.CommandPort.Write(0, [command]);

    private void Data(byte value) => _i8042.DataPort.Write(0, [value]);

    private byte Command(byte command)
    {
        Cmd(command);
        Assert.NotEqual(0, Status() & StrObf);
        return ReadData();
    }

    private List<byte> Drain()
    {
        var bytes = new List<byte>();
        while ((Status() & StrObf) != 0)
        {
            bytes.Add(ReadData());
        }
        return bytes;
    }
}
