using Vireo.Devices;

namespace Vireo.Vmm.Tests;

/// <summary>An SCI that remembers every level it was driven to, from whichever thread.</summary>
internal sealed class RecordingSci : IInterruptLine
{
    private readonly Lock _lock = new();
    private readonly List<bool> _levels = [];

    public IReadOnlyList<bool> Levels
    {
        get
        {
            lock (_lock)
            {
                return [.. _levels];
            }
        }
    }

    public void Set(bool asserted)
    {
        lock (_lock)
        {
            _levels.Add(asserted);
        }
    }
}
