using System.Buffers.Binary;

namespace Vireo.Devices.Tests;

public sealed class Pl061GpioTests
{
    // Offsets as drivers/gpio/gpio-pl061.c names them (GPIODIR ... GPIOIC), from the TRM.
    private const ulong Dir = 0x400, Is = 0x404, Ibe = 0x408, Iev = 0x40C, Ie = 0x410, Ris = 0x414, Mis = 0x418, Ic = 0x41C, Afsel = 0x420;
    private const int Key = 3;
    private const byte KeyBit = 1 << Key;

    private readonly RecordingInterruptLine _irq = new();
    private readonly Pl061Gpio _gpio;

    public Pl061GpioTests()
    {
        _gpio = new Pl061Gpio(_irq);
    }

    [Fact]
    public void TheAmbaBusReadsThePl061sPeripheralAndPrimeCellIds()
    {
        // drivers/amba/bus.c amba_read_periphid: readl of the last eight words of the window,
        // the low byte of each: periphid 0x00041061 (the PL061 driver's match), cid 0xB105F00D.
        uint pid = 0, cid = 0;
        for (int i = 0; i < 4; i++)
        {
            pid |= (Read32(0xFE0 + (ulong)(4 * i)) & 0xFF) << (i * 8);
            cid |= (Read32(0xFF0 + (ulong)(4 * i)) & 0xFF) << (i * 8);
        }
        Assert.Equal(0x0004_1061u, pid);
        Assert.Equal(0xB105_F00Du, cid);
        // Each ID register is a byte: the rest of its word reads zero.
        Assert.Equal(0x61u, Read32(0xFE0));
    }

    [Fact]
    public void ResetLeavesEveryPinAnInputWithNoInterruptAndTheLineLow()
    {
        foreach (ulong register in (ulong[])[Dir, Is, Ibe, Iev, Ie, Ris, Mis, Afsel, 0x3FC])
        {
            Assert.Equal(0, ReadByte(register));
        }
        Assert.Empty(_irq.Levels);
    }

    [Fact]
    public void DataReadsAreMaskedByAddressBitsNineToTwo()
    {
        _gpio.SetInput(0, true);
        _gpio.SetInput(Key, true);
        _gpio.SetInput(7, true);
        Assert.Equal(0x89, ReadByte(0x3FC)); // all eight bits
        Assert.Equal(KeyBit, ReadByte(1UL << (Key + 2))); // gpio-pl061.c pl061_get_value
        Assert.Equal(0, ReadByte(1UL << (1 + 2)));
        Assert.Equal(0x81, ReadByte((0x81UL << 2)));
    }

    [Fact]
    public void OnlyOutputPinsTakeAMaskedDataWrite()
    {
        // Pins 0-3 outputs; a write to all eight bits changes only those.
        WriteByte(Dir, 0x0F);
        WriteByte(0x3FC, 0xFF);
        Assert.Equal(0x0F, ReadByte(0x3FC));
        // The address masks the write: only pin 1 changes.
        WriteByte(1UL << (1 + 2), 0x00);
        Assert.Equal(0x0D, ReadByte(0x3FC));
        // An input pin reads what the host drives, whatever was written to it.
        _gpio.SetInput(5, true);
        Assert.Equal(0x2D, ReadByte(0x3FC));
        // A pin made an output by GPIODIR reads its latch, not the host's level.
        _gpio.SetInput(2, false);
        Assert.Equal(0x2D, ReadByte(0x3FC));
        Assert.Equal(0x0F, ReadByte(Dir));
    }

    [Fact]
    public void ARisingEdgeLatchesOnlyForARisingEdgePin()
    {
        // gpio-pl061.c pl061_irq_type(IRQ_TYPE_EDGE_RISING): IS=0, IBE=0, IEV=1.
        WriteByte(Iev, KeyBit);
        WriteByte(Ie, KeyBit);
        _gpio.SetInput(Key, true);
        Assert.Equal(KeyBit, ReadByte(Ris));
        Assert.Equal(KeyBit, ReadByte(Mis));
        Assert.True(_irq.Asserted);
        WriteByte(Ic, KeyBit);
        Assert.Equal(0, ReadByte(Ris));
        Assert.False(_irq.Asserted);
        // The falling edge is not this pin's event.
        _gpio.SetInput(Key, false);
        Assert.Equal(0, ReadByte(Ris));
        Assert.Equal([true, false], _irq.Levels);
    }

    [Fact]
    public void AFallingEdgeLatchesOnlyForAFallingEdgePin()
    {
        WriteByte(Iev, 0x00);
        WriteByte(Ie, KeyBit);
        _gpio.SetInput(Key, true);
        Assert.Equal(0, ReadByte(Ris));
        Assert.False(_irq.Asserted);
        _gpio.SetInput(Key, false);
        Assert.Equal(KeyBit, ReadByte(Mis));
        Assert.True(_irq.Asserted);
    }

    [Fact]
    public void BothEdgesLatchEachEdgeAsGpioKeysAsks()
    {
        // gpio_keys requests IRQF_TRIGGER_RISING | IRQF_TRIGGER_FALLING: pl061 sets IBE.
        WriteByte(Ibe, KeyBit);
        WriteByte(Ie, KeyBit);
        _gpio.SetInput(Key, true);
        Assert.True(_irq.Asserted);
        WriteByte(Ic, KeyBit);
        Assert.False(_irq.Asserted);
        _gpio.SetInput(Key, false);
        Assert.True(_irq.Asserted);
        WriteByte(Ic, KeyBit);
        Assert.Equal([true, false, true, false], _irq.Levels);
        // Driving the level the pin already has is no edge.
        _gpio.SetInput(Key, false);
        Assert.Equal(0, ReadByte(Ris));
    }

    [Fact]
    public void ALevelPinsStatusFollowsItsLevelAndIcDoesNotClearIt()
    {
        // Level high: IS=1, IEV=1.
        WriteByte(Is, KeyBit);
        WriteByte(Iev, KeyBit);
        WriteByte(Ie, KeyBit);
        _gpio.SetInput(Key, true);
        Assert.True(_irq.Asserted);
        WriteByte(Ic, KeyBit);
        Assert.Equal(KeyBit, ReadByte(Mis));
        Assert.True(_irq.Asserted);
        _gpio.SetInput(Key, false);
        Assert.Equal(0, ReadByte(Ris));
        Assert.False(_irq.Asserted);
    }

    [Fact]
    public void ALevelLowPinInterruptsWhileLow()
    {
        // Level low: IS=1, IEV=0; the pin is low at reset, so enabling it interrupts at once.
        WriteByte(Is, KeyBit);
        Assert.Equal(KeyBit, ReadByte(Ris));
        Assert.False(_irq.Asserted);
        WriteByte(Ie, KeyBit);
        Assert.True(_irq.Asserted);
        _gpio.SetInput(Key, true);
        Assert.False(_irq.Asserted);
        Assert.Equal(0, ReadByte(Ris));
    }

    [Fact]
    public void IeMasksTheLineButNotTheRawStatus()
    {
        WriteByte(Iev, KeyBit);
        _gpio.SetInput(Key, true);
        Assert.Equal(KeyBit, ReadByte(Ris));
        Assert.Equal(0, ReadByte(Mis));
        Assert.Empty(_irq.Levels);
        // Unmasking a latched edge raises the line; masking it again drops it.
        WriteByte(Ie, KeyBit);
        Assert.True(_irq.Asserted);
        WriteByte(Ie, 0);
        Assert.False(_irq.Asserted);
        Assert.Equal(KeyBit, ReadByte(Ris));
    }

    [Fact]
    public void IcClearsOnlyTheBitsWrittenAndMakingAPinLevelSensitiveDropsItsLatchedEdge()
    {
        WriteByte(Ibe, 0xFF);
        WriteByte(Ie, 0xFF);
        _gpio.SetInput(1, true);
        _gpio.SetInput(Key, true);
        Assert.Equal(0x0A, ReadByte(Mis));
        WriteByte(Ic, 0x02);
        Assert.Equal(KeyBit, ReadByte(Mis));
        Assert.True(_irq.Asserted);
        Assert.Equal(0, ReadByte(Ic)); // write-only
        // Level high on the key's pin (high now): its status is its level, no stale edge.
        WriteByte(Iev, KeyBit);
        WriteByte(Is, KeyBit);
        _gpio.SetInput(Key, false);
        Assert.Equal(0, ReadByte(Ris));
        Assert.False(_irq.Asserted);
    }

    [Fact]
    public void AnOutputPinsEdgeIsDetectedLikeAnInputs()
    {
        WriteByte(Iev, 0x01);
        WriteByte(Ie, 0x01);
        WriteByte(Dir, 0x01);
        WriteByte(0x3FC, 0x01);
        Assert.Equal(0x01, ReadByte(Mis));
        Assert.True(_irq.Asserted);
    }

    [Fact]
    public void TheLineFollowsMisOnEveryChangeAndOnlyThen()
    {
        WriteByte(Ibe, 0xFF);
        WriteByte(Ie, 0xFF);
        _gpio.SetInput(0, true);
        _gpio.SetInput(1, true); // MIS 0x01 -> 0x03: the line is already up
        WriteByte(Ic, 0x01);
        Assert.True(_irq.Asserted);
        WriteByte(Ic, 0x02);
        Assert.Equal([true, false], _irq.Levels);
        Assert.Equal(0, ReadByte(Mis));
    }

    [Fact]
    public void AfselIsKeptAndChangesNothing()
    {
        WriteByte(Afsel, 0xA5);
        Assert.Equal(0xA5, ReadByte(Afsel));
        _gpio.SetInput(0, true);
        Assert.Equal(0x01, ReadByte(0x3FC));
    }

    [Theory]
    [InlineData(0x401UL, 1)]
    [InlineData(0x402UL, 2)]
    [InlineData(0x403UL, 4)]
    [InlineData(0x424UL, 4)]
    [InlineData(0x41FUL, 2)]
    [InlineData(0xFDCUL, 4)]
    [InlineData(0xFFFUL, 8)]
    [InlineData(0x1000UL, 4)]
    [InlineData(ulong.MaxValue - 2, 8)]
    public void HostileAccessesReadZeroChangeNothingAndNeverThrow(ulong offset, int width)
    {
        WriteByte(Dir, 0xF0);
        Pl061State before = _gpio.GetState();
        byte[] data = new byte[width];
        data.AsSpan().Fill(0xFF);
        _gpio.Write(offset, data);
        Assert.Equal(before, _gpio.GetState());
        _gpio.Read(offset, data);
        Assert.Equal(new byte[width], data);
        Assert.Empty(_irq.Levels);
    }

    [Fact]
    public void AWideAccessReachesTheOneRegisterItStartsAt()
    {
        WriteByte(Dir, 0x0F);
        WriteByte(Is, 0x30);
        byte[] data = new byte[8];
        data.AsSpan().Fill(0xEE);
        _gpio.Read(Dir, data);
        Assert.Equal([0x0F, 0, 0, 0, 0, 0, 0, 0], data);
        // A word write takes its low byte: the register is eight bits.
        _gpio.Write(Ie, [0x08, 0xFF, 0xFF, 0xFF]);
        Assert.Equal(0x08u, Read32(Ie));
        _gpio.Read(Dir, []);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(8)]
    public void SetInputRefusesPinsTheControllerDoesNotHave(int pin)
        => Assert.Throws<ArgumentOutOfRangeException>(() => _gpio.SetInput(pin, true));

    [Fact]
    public void StateRoundTripsAndRestoresTheLineFromTheRegisters()
    {
        WriteByte(Dir, 0x81);
        WriteByte(0x3FC, 0xFF);
        WriteByte(Ibe, KeyBit);
        WriteByte(Iev, 0x40);
        WriteByte(Is, 0x40);
        WriteByte(Ie, KeyBit | 0x40);
        WriteByte(Afsel, 0x10);
        _gpio.SetInput(Key, true);
        Pl061State state = _gpio.GetState();
        Assert.Equal(new Pl061State
        {
            Data = 0x81, Direction = 0x81, InterruptSense = 0x40, InterruptBothEdges = KeyBit, InterruptEvent = 0x40,
            InterruptMask = KeyBit | 0x40, EdgeStatus = KeyBit, AlternateFunction = 0x10, Inputs = KeyBit,
        }, state);

        var line = new RecordingInterruptLine();
        Pl061Gpio restored = Pl061Gpio.FromState(state, line);
        Assert.Equal(state, restored.GetState());
        Assert.Equal([true], line.Levels);
        Assert.Equal(KeyBit, ReadByte(restored, Mis));
        Assert.Equal(0x89, ReadByte(restored, 0x3FC));

        // A quiet state drives the line low, even if the device thought it was already.
        var quiet = new RecordingInterruptLine();
        _ = Pl061Gpio.FromState(new Pl061State(), quiet);
        Assert.Equal([false], quiet.Levels);
    }

    [Fact]
    public void ARestoredKeyDownThenLetUpIsTheReleaseTheGuestWaitsFor()
    {
        // A snapshot taken with the key down and the guest watching both edges: the new
        // process's key is up, and letting the pin go low is an edge the guest sees.
        var state = new Pl061State { InterruptBothEdges = KeyBit, InterruptMask = KeyBit, Inputs = KeyBit };
        var line = new RecordingInterruptLine();
        Pl061Gpio restored = Pl061Gpio.FromState(state, line);
        Assert.False(line.Asserted);
        restored.SetInput(Key, false);
        Assert.True(line.Asserted);
        Assert.Equal(KeyBit, ReadByte(restored, Mis));
    }

    [Fact]
    public void AStateWithAnEdgeLatchedOnALevelPinIsRefusedAndChangesNothing()
    {
        WriteByte(Dir, 0x11);
        Pl061State before = _gpio.GetState();
        var bad = new Pl061State { InterruptSense = 0x0C, EdgeStatus = 0x04 };
        ArgumentException e = Assert.Throws<ArgumentException>(() => _gpio.RestoreState(bad));
        Assert.Contains("EdgeStatus 0x04", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, _gpio.GetState());
        Assert.Empty(_irq.Levels);
        Assert.Throws<ArgumentNullException>(() => _gpio.RestoreState(null!));
    }

    private byte ReadByte(ulong offset) => ReadByte(_gpio, offset);

    private static byte ReadByte(Pl061Gpio gpio, ulong offset)
    {
        Span<byte> data = stackalloc byte[1];
        gpio.Read(offset, data);
        return data[0];
    }

    private void WriteByte(ulong offset, byte value) => _gpio.Write(offset, [value]);

    private uint Read32(ulong offset)
    {
        Span<byte> data = stackalloc byte[4];
        _gpio.Read(offset, data);
        return BinaryPrimitives.ReadUInt32LittleEndian(data);
    }
}
