namespace Vireo.Devices.Tests;

public sealed class GpioPowerKeyTests
{
    private const int Pin = 3;
    private const ulong Ibe = 0x408, Ie = 0x410, Mis = 0x418, Ic = 0x41C;
    private static readonly ulong s_keyData = 1UL << (Pin + 2);

    private readonly ManualTimeProvider _time = new();
    private readonly RecordingInterruptLine _irq = new();
    private readonly Pl061Gpio _gpio;
    private readonly GpioPowerKey _key;

    public GpioPowerKeyTests()
    {
        _gpio = new Pl061Gpio(_irq);
        _key = new GpioPowerKey(_gpio, Pin, _time);
        // What gpio_keys asks of pl061 for its button: both edges, unmasked.
        _gpio.Write(Ibe, [1 << Pin]);
        _gpio.Write(Ie, [1 << Pin]);
    }

    [Fact]
    public void APressHoldsThePinHighForTheHoldTimeThenLetsItGo()
    {
        IPowerButton button = _key;
        Assert.Equal("GPIO power key", button.PowerButtonName);
        button.Press();
        Assert.True(_irq.Asserted);
        Assert.Equal(1 << Pin, Data());
        _gpio.Write(Ic, [1 << Pin]);

        // gpio_keys reads the level after its 5 ms debounce: still pressed then, and long after.
        _time.Advance(TimeSpan.FromMilliseconds(5));
        Assert.Equal(1 << Pin, Data());
        _time.Advance(GpioPowerKey.HoldTime - TimeSpan.FromMilliseconds(6));
        Assert.True(_key.IsHeld);
        Assert.False(_irq.Asserted);

        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.False(_key.IsHeld);
        Assert.Equal(0, Data());
        Assert.True(_irq.Asserted); // the release edge
        Assert.Equal([true, false, true], _irq.Levels);
        Assert.Equal(0, _time.ActiveTimers);
    }

    [Fact]
    public void ASecondPressWhileHeldIsTheSamePress()
    {
        _key.Press();
        _time.Advance(TimeSpan.FromMilliseconds(60));
        _key.Press();
        _time.Advance(TimeSpan.FromMilliseconds(40));
        Assert.False(_key.IsHeld);
        Assert.Equal([true], _irq.Levels); // one rising edge latched, then the falling one on the same status bit
        Assert.Equal(1 << Pin, MaskedStatus());
    }

    [Fact]
    public void TheHoldOnlyCountsWhileTheMachineRuns()
    {
        ISuspendable device = _key;
        _key.Press();
        _time.Advance(TimeSpan.FromMilliseconds(90));
        device.Sleep();
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.True(_key.IsHeld);
        Assert.Equal(true, device.Snapshot());
        Assert.Equal(1 << Pin, Data());

        // Woken, the guest gets the whole hold time again before the key goes up.
        device.Wake();
        _time.Advance(GpioPowerKey.HoldTime - TimeSpan.FromMilliseconds(1));
        Assert.True(_key.IsHeld);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.False(_key.IsHeld);
        Assert.Equal(0, Data());
    }

    [Fact]
    public void APressWhileAsleepWaitsForTheWakeToBeTimed()
    {
        _key.Sleep();
        _key.Press();
        Assert.Equal(1 << Pin, Data());
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(_key.IsHeld);
        _key.Wake();
        _time.Advance(GpioPowerKey.HoldTime);
        Assert.False(_key.IsHeld);
    }

    [Fact]
    public void AfterDisposeNothingDrivesThePin()
    {
        _key.Press();
        _key.Dispose();
        _time.Advance(TimeSpan.FromSeconds(1));
        _key.Press();
        _key.Release();
        _key.Wake();
        Assert.Equal(1 << Pin, Data());
        Assert.Equal(0, _time.ActiveTimers);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(8)]
    public void APinTheControllerDoesNotHaveIsRefused(int pin)
        => Assert.Throws<ArgumentOutOfRangeException>(() => new GpioPowerKey(_gpio, pin, _time));

    private byte Data()
    {
        byte[] data = new byte[1];
        _gpio.Read(s_keyData, data);
        return data[0];
    }

    private byte MaskedStatus()
    {
        byte[] data = new byte[1];
        _gpio.Read(Mis, data);
        return data[0];
    }
}
