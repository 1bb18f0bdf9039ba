namespace Vireo.Vmm.Tests.PowerManagement;

/// <summary>
/// A host that parks real threads the way the VMM parks vCPUs: each vCPU thread passes
/// <see cref="Gate"/> before every guest step (the top of the run loop), and a park returns only
/// once every other registered vCPU thread waits there. It records every broken promise of
/// <see cref="IS2IdleHost"/> and of the state machine instead of throwing on a vCPU thread.
/// </summary>
internal sealed class ParkingS2IdleHost : IS2IdleHost
{
    private static readonly TimeSpan s_parkTimeout = TimeSpan.FromSeconds(10);

    private readonly object _gate = new();
    private readonly List<string> _violations = [];
    private bool _parked;
    private int _running;
    private int _held;

    public S2IdleStateMachine? Machine { get; set; }

    public int Parks { get; private set; }

    public int Unparks { get; private set; }

    public int Wakes { get; private set; }

    public bool Parked
    {
        get
        {
            lock (_gate)
            {
                return _parked;
            }
        }
    }

    public IReadOnlyList<string> Violations
    {
        get
        {
            lock (_violations)
            {
                return [.. _violations];
            }
        }
    }

    public void Violation(string what)
    {
        lock (_violations)
        {
            _violations.Add(what);
        }
    }

    /// <summary>Counts a vCPU thread in; call before it starts.</summary>
    public void Register()
    {
        lock (_gate)
        {
            _running++;
        }
    }

    /// <summary>Counts a vCPU thread out when its run loop ends.</summary>
    public void Leave()
    {
        lock (_gate)
        {
            _running--;
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>The top of a vCPU's run loop: held here while parked.</summary>
    public void Gate()
    {
        lock (_gate)
        {
            while (_parked)
            {
                _held++;
                Monitor.PulseAll(_gate);
                Monitor.Wait(_gate);
                _held--;
            }
        }
    }

    public void ParkVcpus()
    {
        lock (_gate)
        {
            if (_parked)
            {
                Violation("park while parked");
            }
            _parked = true;
            Parks++;
            // The caller is a vCPU inside its trap; every other one must reach the gate.
            while (_held < _running - 1)
            {
                if (!Monitor.Wait(_gate, s_parkTimeout))
                {
                    Violation($"park never completed: {_held} of {_running - 1} held");
                    return;
                }
            }
        }
    }

    public void UnparkVcpus()
    {
        if (Machine?.State == S2IdleState.Suspended)
        {
            Violation("unpark while the machine says suspended");
        }
        lock (_gate)
        {
            if (!_parked)
            {
                Violation("unpark while not parked");
            }
            _parked = false;
            Unparks++;
            Monitor.PulseAll(_gate);
        }
    }

    public void InjectWake()
    {
        lock (_gate)
        {
            if (!_parked)
            {
                Violation("wake injected while the vCPUs run");
            }
            Wakes++;
        }
    }
}
