namespace Vireo.Vmm.Tests.PowerManagement;

/// <summary>A host whose park returns at once: it records the calls, checks that they alternate
/// as <see cref="IS2IdleHost"/> promises, and can run a step while "parking".</summary>
internal sealed class RecordingS2IdleHost : IS2IdleHost
{
    private readonly Lock _lock = new();
    private readonly List<string> _calls = [];
    private bool _parked;

    /// <summary>Runs inside <see cref="ParkVcpus"/>, after the vCPUs count as parked: what other
    /// threads do while the parking vCPU waits.</summary>
    public Action? DuringPark { get; set; }

    public Exception? ParkFailure { get; set; }

    public IReadOnlyList<string> Calls
    {
        get
        {
            lock (_lock)
            {
                return [.. _calls];
            }
        }
    }

    public bool Parked
    {
        get
        {
            lock (_lock)
            {
                return _parked;
            }
        }
    }

    public void ParkVcpus()
    {
        lock (_lock)
        {
            Assert.False(_parked, "park while parked");
            _calls.Add("park");
            _parked = true;
        }
        DuringPark?.Invoke();
        if (ParkFailure is not null)
        {
            throw ParkFailure;
        }
    }

    public void UnparkVcpus()
    {
        lock (_lock)
        {
            Assert.True(_parked, "unpark while not parked");
            _calls.Add("unpark");
            _parked = false;
        }
    }

    public void InjectWake()
    {
        lock (_lock)
        {
            Assert.True(_parked, "wake injected while the vCPUs run");
            _calls.Add("wake");
        }
    }
}
