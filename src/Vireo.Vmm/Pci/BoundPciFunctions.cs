namespace Vireo.Vmm;

/// <summary>
/// The <see cref="IMachineBoundPciFunction"/>s bound to one machine and the
/// <see cref="DeviceInterrupts"/> they share; the <see cref="BuiltMachine"/> owns it. Disposing
/// it unbinds the functions (last bound first) and then stops the interrupts, so it must come
/// after the vCPUs stop and before the VM goes. It also holds the device-lost reports made
/// before the machine's owner listens (a device can die while the machine is being built).
/// </summary>
internal sealed class BoundPciFunctions : IDisposable
{
    // Replaced, never changed in place: a guest's eject removes one on a vCPU thread while the
    // control loop reads the list.
    private IMachineBoundPciFunction[] _functions = [];
    private readonly List<(IMachineBoundPciFunction Function, string Reason)> _early = [];
    private readonly Lock _lock = new();
    private readonly Action<string>? _warn;
    private Action<IMachineBoundPciFunction, string>? _observer;
    private bool _disposed;

    public BoundPciFunctions(DeviceInterrupts interrupts, Action<string>? warn)
    {
        Interrupts = interrupts;
        _warn = warn;
    }

    /// <summary>The machine's interrupt plumbing, one per machine.</summary>
    public DeviceInterrupts Interrupts { get; }

    /// <summary>The functions bound now, in binding order (an ejected one is no longer here).</summary>
    public IReadOnlyList<IMachineBoundPciFunction> Functions => Volatile.Read(ref _functions);

    /// <summary>Records that <paramref name="function"/> is bound (it is unbound on dispose).</summary>
    public void Add(IMachineBoundPciFunction function)
    {
        lock (_lock)
        {
            _functions = [.. _functions, function];
        }
    }

    /// <summary>Forgets <paramref name="function"/> (the guest ejected it; it is not unbound on
    /// dispose). False when it is not bound here (ejected already) or the machine is going.</summary>
    public bool Remove(IMachineBoundPciFunction function)
    {
        lock (_lock)
        {
            if (_disposed || !_functions.Contains(function))
            {
                return false;
            }
            _functions = [.. _functions.Where(f => f != function)];
            return true;
        }
    }

    /// <summary>The <see cref="PciFunctionHost.DeviceLost"/> for <paramref name="function"/>:
    /// the first call reports, later ones are dropped, so one loss is one event.</summary>
    public Action<string> ReporterFor(IMachineBoundPciFunction function)
    {
        int reported = 0;
        return reason =>
        {
            if (Interlocked.Exchange(ref reported, 1) == 0)
            {
                Report(function, string.IsNullOrWhiteSpace(reason) ? "no reason given" : reason);
            }
        };
    }

    /// <summary>Passes a device's power or notify news on to the power observer, if one is set
    /// (news before that, while the machine is built, is not news). Any thread.</summary>
    public void ReportPower(DevicePowerEvent e) => Volatile.Read(ref _powerObserver)?.Invoke(e);

    /// <summary>Sends every <see cref="DevicePowerEvent"/> to <paramref name="observer"/>, on the
    /// reporting thread (a vCPU's, a device's), so it must only post and return.</summary>
    public void ObservePower(Action<DevicePowerEvent> observer) => Volatile.Write(ref _powerObserver, observer);

    private Action<DevicePowerEvent>? _powerObserver;

    /// <summary>Sends every loss to <paramref name="observer"/>, those reported already first;
    /// on the reporting thread (often a device's), so it must only post and return.</summary>
    public void Observe(Action<IMachineBoundPciFunction, string> observer)
    {
        (IMachineBoundPciFunction, string)[] early;
        lock (_lock)
        {
            _observer = observer;
            early = [.. _early];
            _early.Clear();
        }
        foreach ((IMachineBoundPciFunction function, string reason) in early)
        {
            observer(function, reason);
        }
    }

    /// <summary>Unbinds every function, last bound first, then stops the interrupts. A loss
    /// reported after this is about a machine that is gone, and is dropped.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
        }
        IMachineBoundPciFunction[] functions = Volatile.Read(ref _functions);
        for (int i = functions.Length - 1; i >= 0; i--)
        {
            try
            {
                functions[i].Unbind();
            }
            catch (Exception e)
            {
                // Unbind promises not to throw; if one does, the others are still released.
                _warn?.Invoke($"unbinding PCI function {functions[i].Id} failed: {e.Message}");
            }
        }
        Interrupts.Dispose();
    }

    private void Report(IMachineBoundPciFunction function, string reason)
    {
        Action<IMachineBoundPciFunction, string>? observer;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }
            observer = _observer;
            if (observer is null)
            {
                _early.Add((function, reason));
                return;
            }
        }
        observer(function, reason);
    }
}
