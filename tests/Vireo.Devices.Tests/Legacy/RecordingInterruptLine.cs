namespace Vireo.Devices.Tests;

/// <summary>An interrupt line that remembers every level it was driven to.</summary>
internal sealed class RecordingInterruptLine : IInterruptLine
{
    public List<bool> Levels { get; } = [];

    public bool Asserted { get; private set; }

    /// <summary>Rising edges, what an edge-triggered ISA input would count as interrupts.</summary>
    public int Edges { get; private set; }

    public void Set(bool asserted)
    {
        if (asserted && !Asserted)
        {
            Edges++;
        }
        Asserted = asserted;
        Levels.Add(asserted);
    }
}
