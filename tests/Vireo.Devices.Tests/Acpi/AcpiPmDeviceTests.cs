using System.Buffers.Binary;

namespace Vireo.Devices.Tests;

public sealed class AcpiPmDeviceTests : IDisposable
{
    // Window offsets (ICH9 PMIO) and register bits (ACPI 6.5 Tables 4.11-4.13), written out
    // independently of the device's private constants.
    private const ulong Pm1Sts = 0x00, Pm1En = 0x02, Pm1Cnt = 0x04, PmTmr = 0x08, Gpe0Sts = 0x20, Gpe0En = 0x28;
    private const ushort TmrSts = 0x0001, GblSts = 0x0020, PwrBtnSts = 0x0100, RtcSts = 0x0400, WakSts = 0x8000;
    private const ushort TmrEn = 0x0001, GblEn = 0x0020, PwrBtnEn = 0x0100;
    private const ushort SciEn = 0x0001, SlpEn = 0x2000;

    private readonly ManualTimeProvider _time = new();
    private readonly RecordingInterruptLine _sci = new();
    private readonly AcpiPmDevice _pm;
    private int _powerOffs;
    private readonly List<int> _sleeps = [];

    public AcpiPmDeviceTests()
    {
        _pm = new AcpiPmDevice(_sci, _time);
        _pm.PowerOffRequested += () => _powerOffs++;
        _pm.SleepRequested += _sleeps.Add;
    }

    public void Dispose() => _pm.Dispose();

    [Fact]
    public void StartsQuietWithSciEnabledAndNothingPending()
    {
        Assert.Equal(0, Read16(Pm1Sts));
        Assert.Equal(0, Read16(Pm1En));
        // SMI_CMD is zero, so the platform is always in ACPI mode.
        Assert.Equal(SciEn, Read16(Pm1Cnt));
        Assert.Equal(new byte[16], ReadBytes(Gpe0Sts, 16));
        Assert.False(_sci.Asserted);
        Assert.Empty(_sci.Levels);
    }

    [Fact]
    public void PowerButtonRaisesTheSciOnlyOnceEnabledAndDropsItWhenCleared()
    {
        _pm.PressPowerButton();
        Assert.Equal(PwrBtnSts, Read16(Pm1Sts));
        Assert.False(_sci.Asserted);

        Write16(Pm1En, PwrBtnEn);
        Assert.True(_sci.Asserted);
        Assert.True(_pm.SciAsserted);

        // Writing zeros, or ones to other bits, clears nothing.
        Write16(Pm1Sts, 0);
        Write16(Pm1Sts, RtcSts | WakSts);
        Assert.Equal(PwrBtnSts, Read16(Pm1Sts));
        Assert.True(_sci.Asserted);

        Write16(Pm1Sts, PwrBtnSts);
        Assert.Equal(0, Read16(Pm1Sts));
        Assert.False(_sci.Asserted);
        Assert.Equal([true, false], _sci.Levels);
    }

    [Fact]
    public void GlobalEventRaisesTheSciOnlyOnceEnabledAndIsWriteOneToClear()
    {
        _pm.RaiseGlobalEvent();
        Assert.Equal(GblSts, Read16(Pm1Sts));
        Assert.False(_sci.Asserted);

        // What the guest's ACPI core does when it installs its global-lock handler.
        Write16(Pm1En, GblEn);
        Assert.Equal(GblEn, Read16(Pm1En));
        Assert.True(_sci.Asserted);

        // The power button's status bit is a different event: clearing it leaves GBL_STS.
        Write16(Pm1Sts, PwrBtnSts);
        Assert.True(_sci.Asserted);

        Write16(Pm1Sts, GblSts);
        Assert.Equal(0, Read16(Pm1Sts));
        Assert.False(_sci.Asserted);
        Assert.Equal([true, false], _sci.Levels);
    }

    [Fact]
    public void ClearingTheGlobalEventDropsTheSciAndLeavesOtherEvents()
    {
        Write16(Pm1En, GblEn | PwrBtnEn);
        _pm.RaiseGlobalEvent();
        Assert.True(_sci.Asserted);
        _pm.ClearGlobalEvent();
        Assert.Equal(0, Read16(Pm1Sts));
        Assert.False(_sci.Asserted);

        _pm.PressPowerButton();
        _pm.RaiseGlobalEvent();
        _pm.ClearGlobalEvent();
        Assert.Equal(PwrBtnSts, Read16(Pm1Sts));
        Assert.True(_sci.Asserted);
    }

    [Fact]
    public void GlobalEventAndPowerButtonAreIndependent()
    {
        Write16(Pm1En, GblEn | PwrBtnEn);
        _pm.RaiseGlobalEvent();
        _pm.PressPowerButton();
        Assert.Equal(GblSts | PwrBtnSts, Read16(Pm1Sts));

        // Acknowledging the wake leaves a real press pending, and the SCI up for it.
        Write16(Pm1Sts, GblSts);
        Assert.Equal(PwrBtnSts, Read16(Pm1Sts));
        Assert.True(_sci.Asserted);
        Write16(Pm1Sts, PwrBtnSts);
        Assert.False(_sci.Asserted);
    }

    [Fact]
    public void DisablingAPendingEventDropsTheSciAndReenablingRaisesItAgain()
    {
        Write16(Pm1En, PwrBtnEn);
        _pm.PressPowerButton();
        Assert.True(_sci.Asserted);
        Write16(Pm1En, 0);
        Assert.False(_sci.Asserted);
        Write16(Pm1En, PwrBtnEn);
        Assert.True(_sci.Asserted);
        Assert.Equal([true, false, true], _sci.Levels);
    }

    [Fact]
    public void OnlyDefinedEnableBitsStick()
    {
        Write16(Pm1En, 0xFFFF);
        // TMR_EN, GBL_EN, PWRBTN_EN, SLPBTN_EN, RTC_EN, PCIEXP_WAKE_DIS.
        Assert.Equal(0x4721, Read16(Pm1En));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(63)]
    public void AGpeLatchesItsStatusBitAndFollowsItsEnableBit(int gpe)
    {
        ulong statusByte = Gpe0Sts + (ulong)(gpe / 8);
        ulong enableByte = Gpe0En + (ulong)(gpe / 8);
        byte bit = (byte)(1 << (gpe % 8));

        _pm.RaiseGpe(gpe);
        Assert.Equal(bit, ReadBytes(statusByte, 1)[0]);
        Assert.False(_sci.Asserted);

        _pm.Write(enableByte, [bit]);
        Assert.True(_sci.Asserted);
        Assert.Equal(bit, ReadBytes(enableByte, 1)[0]);

        // Write-1-to-clear: other bits written as one do not disturb it, its own bit clears it.
        _pm.Write(statusByte, [(byte)~bit]);
        Assert.True(_sci.Asserted);
        _pm.Write(statusByte, [bit]);
        Assert.Equal(0, ReadBytes(statusByte, 1)[0]);
        Assert.False(_sci.Asserted);
    }

    [Fact]
    public void TheSciStaysUpWhileAnySourceIsPending()
    {
        Write16(Pm1En, PwrBtnEn);
        _pm.Write(Gpe0En + 1, [0x02]); // GPE 9
        _pm.PressPowerButton();
        _pm.RaiseGpe(9);
        Assert.True(_sci.Asserted);

        Write16(Pm1Sts, PwrBtnSts);
        Assert.True(_sci.Asserted);
        _pm.Write(Gpe0Sts + 1, [0x02]);
        Assert.False(_sci.Asserted);
        Assert.Equal([true, false], _sci.Levels);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(64)]
    [InlineData(int.MaxValue)]
    public void RaisingAGpeOutsideTheBlockThrows(int gpe)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _pm.RaiseGpe(gpe));
    }

    [Fact]
    public void SleepEnableWithTheS5TypeRequestsPowerOff()
    {
        Write16(Pm1Cnt, (ushort)((AcpiPmDevice.S5SleepType << 10) | SlpEn));
        Assert.Equal(1, _powerOffs);
        Assert.Empty(_sleeps);
        // SLP_EN is write-only; SLP_TYP is kept; SCI_EN still reads one.
        Assert.Equal((ushort)((AcpiPmDevice.S5SleepType << 10) | SciEn), Read16(Pm1Cnt));
    }

    [Fact]
    public void SleepTypeAloneRequestsNothing()
    {
        // ACPICA writes SLP_TYP first, then SLP_TYP with SLP_EN.
        Write16(Pm1Cnt, AcpiPmDevice.S5SleepType << 10);
        Assert.Equal(0, _powerOffs);
        _pm.Write(Pm1Cnt + 1, [(byte)((AcpiPmDevice.S5SleepType << 2) | (SlpEn >> 8))]);
        Assert.Equal(1, _powerOffs);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(6)]
    public void OtherSleepTypesAreReportedWithTheirValue(int type)
    {
        Write16(Pm1Cnt, (ushort)((type << 10) | SlpEn));
        Assert.Equal([type], _sleeps);
        Assert.Equal(0, _powerOffs);
    }

    [Fact]
    public void SciEnCannotBeClearedAndBmRldIsKept()
    {
        Write16(Pm1Cnt, 0x0002);
        Assert.Equal(0x0003, Read16(Pm1Cnt));
        Write16(Pm1Cnt, 0x0000);
        Assert.Equal(SciEn, Read16(Pm1Cnt));
    }

    [Fact]
    public void PmTimerCountsAt3579545HzIn24Bits()
    {
        uint start = Read32(PmTmr);
        Assert.Equal(0u, start);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(3_579_545u, Read32(PmTmr));
        // 2^24 counts is about 4.687 s: the value wraps and the top byte stays zero.
        _time.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal((3_579_545u * 5) & 0xFF_FFFF, Read32(PmTmr));
        Assert.Equal(0, ReadBytes(PmTmr + 3, 1)[0]);
        // Writes are ignored.
        _pm.Write(PmTmr, [0, 0, 0, 0]);
        Assert.Equal((3_579_545u * 5) & 0xFF_FFFF, Read32(PmTmr));
    }

    [Fact]
    public void TimerStatusSetsWhenTheTopBitTogglesAndIsWriteOneToClear()
    {
        // 2^23 counts take 2.3435 s.
        _time.Advance(TimeSpan.FromSeconds(2.34));
        Assert.Equal(0, Read16(Pm1Sts) & TmrSts);
        _time.Advance(TimeSpan.FromSeconds(0.01));
        Assert.Equal(TmrSts, Read16(Pm1Sts) & TmrSts);
        Write16(Pm1Sts, TmrSts);
        Assert.Equal(0, Read16(Pm1Sts) & TmrSts);
        // The top bit falls again 2^23 counts later.
        _time.Advance(TimeSpan.FromSeconds(2.35));
        Assert.Equal(TmrSts, Read16(Pm1Sts) & TmrSts);
    }

    [Fact]
    public void TimerEnableRaisesTheSciAtTheToggleWithoutAnyAccess()
    {
        Write16(Pm1En, TmrEn);
        Assert.Equal(1, _time.ActiveTimers);
        _time.Advance(TimeSpan.FromSeconds(2.34));
        Assert.False(_sci.Asserted);
        _time.Advance(TimeSpan.FromSeconds(0.01));
        Assert.True(_sci.Asserted);
        Assert.Equal(0, _time.ActiveTimers);

        Write16(Pm1Sts, TmrSts);
        Assert.False(_sci.Asserted);
        Assert.Equal(1, _time.ActiveTimers);
        Write16(Pm1En, 0);
        Assert.Equal(0, _time.ActiveTimers);
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.False(_sci.Asserted);
    }

    [Fact]
    public void EveryAccessWidthSeesTheSameRegisters()
    {
        _pm.PressPowerButton();
        Write16(Pm1En, PwrBtnEn);
        _time.Advance(TimeSpan.FromTicks(10_000_000 * 0x123456L / 3_579_545 + 1));

        // One dword across PM1_STS and PM1_EN.
        Assert.Equal(0x0100_0100u, Read32(Pm1Sts));
        // Bytes and an unaligned word.
        Assert.Equal([0x00, 0x01, 0x00, 0x01], ReadBytes(Pm1Sts, 4));
        Assert.Equal(0x0001, BinaryPrimitives.ReadUInt16LittleEndian(ReadBytes(Pm1Sts + 1, 2)));
        // The timer by bytes, words and dword agrees.
        uint timer = Read32(PmTmr);
        Assert.Equal(0x123456u, timer);
        Assert.Equal(timer & 0xFFFF, Read16(PmTmr));
        Assert.Equal(timer >> 16, Read16(PmTmr + 2));
        Assert.Equal((byte)(timer >> 8), ReadBytes(PmTmr + 1, 1)[0]);
        Assert.Equal((ushort)(timer >> 8), BinaryPrimitives.ReadUInt16LittleEndian(ReadBytes(PmTmr + 1, 2)));

        // A byte write to PM1_STS's high byte clears PWRBTN_STS.
        _pm.Write(Pm1Sts + 1, [0x01]);
        Assert.Equal(0, Read16(Pm1Sts));
        Assert.False(_sci.Asserted);

        // A dword write across PM1_STS and PM1_EN: clear nothing, set PWRBTN_EN to zero.
        _pm.PressPowerButton();
        _pm.Write(Pm1Sts, [0, 0, 0, 0]);
        Assert.Equal(PwrBtnSts, Read16(Pm1Sts));
        Assert.Equal(0, Read16(Pm1En));

        // A dword across PM1_EN and PM1_CNT: enable the button and request S5 in one write.
        _pm.Write(Pm1En, [0x00, 0x01, 0x00, (byte)((AcpiPmDevice.S5SleepType << 2) | 0x20)]);
        Assert.True(_sci.Asserted);
        Assert.Equal(1, _powerOffs);

        // A dword write over GPE0 enable bytes, and a read of all 16 GPE0 bytes as four dwords.
        _pm.Write(Gpe0En + 4, [0x01, 0x02, 0x04, 0x80]);
        _pm.RaiseGpe(63);
        byte[] gpe0 = ReadBytes(Gpe0Sts, 16);
        Assert.Equal(0x80, gpe0[7]);
        Assert.Equal([0x01, 0x02, 0x04, 0x80], gpe0[12..16]);
    }

    [Fact]
    public void UnknownOffsetsReadZeroAndIgnoreWrites()
    {
        foreach (ulong offset in new ulong[] { 0x06, 0x07, 0x0C, 0x1F, 0x30, 0xFFFF, ulong.MaxValue - 1 })
        {
            _pm.Write(offset, [0xFF, 0xFF]);
            Assert.Equal(new byte[2], ReadBytes(offset, 2));
        }
        // A read that runs off the end of GPE0_EN returns zero for the missing part.
        _pm.Write(Gpe0En + 7, [0xAA]);
        Assert.Equal([0xAA, 0x00], ReadBytes(Gpe0En + 7, 2));
        // Nothing else changed.
        Assert.Equal(new AcpiPmState { Gpe0Enable = [0, 0, 0, 0, 0, 0, 0, 0xAA] }, _pm.GetState());
    }

    [Fact]
    public void StateRoundTripsWithPendingEventsAndTheTimer()
    {
        Write16(Pm1En, PwrBtnEn | TmrEn);
        Write16(Pm1Cnt, 0x0002 | (1 << 10));
        _pm.Write(Gpe0En, [0x01]);
        _pm.RaiseGpe(0);
        _pm.RaiseGpe(42);
        _pm.PressPowerButton();
        _time.Advance(TimeSpan.FromSeconds(3)); // TMR_STS set
        AcpiPmState state = _pm.GetState();
        Assert.Equal(PwrBtnSts | TmrSts, state.Pm1Status);
        Assert.Equal((uint)(3 * 3_579_545), state.TimerValue);

        var sci = new RecordingInterruptLine();
        using AcpiPmDevice restored = AcpiPmDevice.FromState(state, sci, _time);
        Assert.Equal(state, restored.GetState());
        Assert.True(sci.Asserted);

        // The restored timer goes on from the saved count, and TMR_STS clears as before.
        _time.Advance(TimeSpan.FromSeconds(1));
        Span<byte> timer = stackalloc byte[4];
        restored.Read(PmTmr, timer);
        Assert.Equal((uint)(4 * 3_579_545) & 0xFF_FFFF, BinaryPrimitives.ReadUInt32LittleEndian(timer));
        restored.Write(Pm1Sts, [(byte)TmrSts, (byte)(PwrBtnSts >> 8)]);
        restored.Write(Gpe0Sts, [0x01]);
        Assert.False(sci.Asserted);
        Assert.Equal(0, restored.GetState().Pm1Status);
    }

    [Fact]
    public void StateWithTheWrongGpeBlockSizeIsRejected()
    {
        var state = new AcpiPmState { Gpe0Status = new byte[4] };
        Assert.Throws<ArgumentException>(() => AcpiPmDevice.FromState(state, new RecordingInterruptLine(), _time));
    }

    private byte[] ReadBytes(ulong offset, int length)
    {
        var data = new byte[length];
        _pm.Read(offset, data);
        return data;
    }

    private ushort Read16(ulong offset) => BinaryPrimitives.ReadUInt16LittleEndian(ReadBytes(offset, 2));

    private uint Read32(ulong offset) => BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(offset, 4));

    private void Write16(ulong offset, ushort value)
    {
        Span<byte> data = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(data, value);
        _pm.Write(offset, data);
    }
}
