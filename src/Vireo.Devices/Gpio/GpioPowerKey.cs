namespace Vireo.Devices;

/// <summary>
/// A power key on a GPIO input, as a device tree's <c>gpio-keys</c> node describes one (active
/// high, Linux's KEY_POWER): a press drives the pin high and lets it go <see cref="HoldTime"/>
/// later. The hold is that long because Linux's gpio_keys reads the pin's level in a work item
/// after its debounce (5 ms by default), not at the interrupt: a shorter pulse could be gone by
/// then and the press lost. The hold counts only while the machine runs: asleep (the VM paused),
/// the key stays down and the release waits, and on waking the guest gets a whole
/// <see cref="HoldTime"/> of running to see it.
/// </summary>
public sealed class GpioPowerKey : IPowerButton, ISuspendable, IDisposable
{
    /// <summary>How long a press holds the pin high while the machine runs (QEMU's gpio-key holds 100 ms too).</summary>
    public static readonly TimeSpan HoldTime = TimeSpan.FromMilliseconds(100);

    private readonly Lock _lock = new();
    private readonly Pl061Gpio _gpio;
    private readonly int _pin;
    private readonly ITimer _release;
    private bool _held;
    private bool _asleep;
    private bool _disposed;

    /// <param name="gpio">The controller the key is wired to.</param>
    /// <param name="pin">The input pin (0-7).</param>
    /// <param name="time">Times the release; <see cref="TimeProvider.System"/> when null.</param>
    public GpioPowerKey(Pl061Gpio gpio, int pin, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(gpio);
        ArgumentOutOfRangeException.ThrowIfNegative(pin);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(pin, Pl061Gpio.Pins);
        _gpio = gpio;
        _pin = pin;
        _release = (time ?? TimeProvider.System).CreateTimer(_ => Release(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Whether the key is down now.</summary>
    public bool IsHeld
    {
        get
        {
            lock (_lock)
            {
                return _held;
            }
        }
    }

    /// <summary>What messages call the key.</summary>
    public const string ButtonName = "GPIO power key";

    /// <inheritdoc/>
    public string PowerButtonName => ButtonName;

    /// <summary>Puts the key down; a press while it is down is the same press.</summary>
    public void Press()
    {
        lock (_lock)
        {
            if (_disposed || _held)
            {
                return;
            }
            _held = true;
            _gpio.SetInput(_pin, true);
            if (!_asleep)
            {
                _release.Change(HoldTime, Timeout.InfiniteTimeSpan);
            }
        }
    }

    /// <summary>Lets the key up now (the release timer does this, and a restored machine, whose
    /// snapshot may have been taken with the key down): the pin goes low, which the guest sees
    /// as the key's release if it was watching. Asleep it does nothing (a timer that fired as the
    /// machine went to sleep): the key stays down until <see cref="Wake"/> times it again.</summary>
    public void Release()
    {
        lock (_lock)
        {
            _release.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            if (_disposed || _asleep)
            {
                return;
            }
            _held = false;
            _gpio.SetInput(_pin, false);
        }
    }

    /// <inheritdoc/>
    public string PowerName => "power key (gpio)";

    /// <summary>Stops the release timer; a held key stays down until the machine wakes.</summary>
    public void Sleep()
    {
        lock (_lock)
        {
            _asleep = true;
            _release.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Starts a held key's hold time again from the beginning.</summary>
    public void Wake()
    {
        lock (_lock)
        {
            _asleep = false;
            if (_held && !_disposed)
            {
                _release.Change(HoldTime, Timeout.InfiniteTimeSpan);
            }
        }
    }

    /// <summary>Whether the key is down (the pin's level is the controller's state).</summary>
    public object Snapshot() => IsHeld;

    /// <summary>Stops the release timer for good, so it never drives a line of a VM being torn down.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _release.Dispose();
        }
    }
}
