using Vireo.Devices;

namespace Vireo.Devices.Fuzz;

/// <summary>An interrupt controller input (KVM_IRQ_LINE in the machine) that records what the
/// device drives: the level it holds and how many times it rose.</summary>
public sealed class RecordingInterruptLine(string name) : IInterruptLine
{
    /// <summary>The line's name in invariant failures.</summary>
    public string Name { get; } = name;

    /// <summary>The level last driven.</summary>
    public bool Level { get; private set; }

    /// <summary>Rises from deasserted to asserted.</summary>
    public int Edges { get; private set; }

    /// <summary>Every <see cref="Set"/> call, repeats included.</summary>
    public int Calls { get; private set; }

    /// <inheritdoc/>
    public void Set(bool asserted)
    {
        Calls++;
        if (asserted && !Level)
        {
            Edges++;
        }
        Level = asserted;
    }
}
