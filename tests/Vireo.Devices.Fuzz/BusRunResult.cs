namespace Vireo.Devices.Fuzz;

/// <summary>What one input did to the machine, for the corpus tests: how many accesses the
/// buses routed to a device, and what the devices did with them.</summary>
public sealed record BusRunResult
{
    /// <summary>Records run (accesses, host events and clock moves).</summary>
    public int Records { get; init; }

    /// <summary>Guest accesses a device handled.</summary>
    public int Handled { get; init; }

    /// <summary>Guest accesses nobody owned (all-ones reads, dropped writes).</summary>
    public int Unhandled { get; init; }

    /// <summary>Handled accesses by the name the device was inserted under; filled only when asked for (<see cref="BusTarget.Run(ReadOnlySpan{byte}, bool)"/>).</summary>
    public IReadOnlyDictionary<string, int> ByDevice { get; init; } = new Dictionary<string, int>();

    /// <summary>Bytes the guest sent out of COM1.</summary>
    public int SerialOutput { get; init; }

    /// <summary>Rises of COM1's, the keyboard's and the SCI line.</summary>
    public int Com1Edges { get; init; }

    /// <inheritdoc cref="Com1Edges"/>
    public int KeyboardEdges { get; init; }

    /// <inheritdoc cref="Com1Edges"/>
    public int SciEdges { get; init; }

    /// <summary>The SCI's level at the end.</summary>
    public bool SciLevel { get; init; }

    /// <summary>Config accesses and BAR accesses that reached the first function.</summary>
    public int FunctionConfigAccesses { get; init; }

    /// <inheritdoc cref="FunctionConfigAccesses"/>
    public int FunctionBarAccesses { get; init; }

    /// <summary>Memory BAR placements the first function was told of (its attach's included).</summary>
    public int FunctionPlacements { get; init; }

    /// <summary>MSI-X messages the first function's vectors delivered.</summary>
    public int MsixMessages { get; init; }

    /// <summary>LPS0 codes that decoded.</summary>
    public int LowPowerIdleEvents { get; init; }

    /// <summary>Slot power commands written, and whether the function was ejected.</summary>
    public int SlotCommands { get; init; }

    /// <inheritdoc cref="SlotCommands"/>
    public bool Ejected { get; init; }

    /// <summary>Resets, power-offs and other sleep requests the guest made.</summary>
    public int Resets { get; init; }

    /// <inheritdoc cref="Resets"/>
    public int PowerOffs { get; init; }

    /// <inheritdoc cref="Resets"/>
    public int SleepRequests { get; init; }

    /// <summary>Lines the buses and the root bus reported (unowned addresses, refused BAR placements).</summary>
    public int Warnings { get; init; }

    /// <summary>Timer alarms that fired.</summary>
    public int AlarmsFired { get; init; }

    /// <summary>Rises of the PL061's GPIOINTR, and its level at the end.</summary>
    public int GpioEdges { get; init; }

    /// <inheritdoc cref="GpioEdges"/>
    public bool GpioLevel { get; init; }

    /// <summary>Host presses that put the GPIO power key down, and whether it is down at the end.</summary>
    public int PowerKeyPresses { get; init; }

    /// <inheritdoc cref="PowerKeyPresses"/>
    public bool PowerKeyHeld { get; init; }
}
