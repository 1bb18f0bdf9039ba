namespace Vireo.Devices;

/// <summary>
/// Everything a <see cref="Pl061Gpio"/> needs to resume: the registers the guest programmed, the
/// edge interrupts it has not cleared, and the levels the host drives on the input pins. Taken
/// with <see cref="Pl061Gpio.GetState"/> and put back with <see cref="Pl061Gpio.RestoreState"/>.
/// Each field is one 8-bit register, bit n for pin n; plain get/init properties of simple types,
/// so System.Text.Json (source-generated) carries it. The interrupt line's level is not stored: it
/// follows from the registers.
/// </summary>
public sealed record Pl061State
{
    /// <summary>The output latch: what GPIODATA drives on the pins set as outputs.</summary>
    public byte Data { get; init; }

    /// <summary>GPIODIR: 1 = output.</summary>
    public byte Direction { get; init; }

    /// <summary>GPIOIS: 1 = level-sensitive, 0 = edge-sensitive.</summary>
    public byte InterruptSense { get; init; }

    /// <summary>GPIOIBE: 1 = both edges interrupt (edge-sensitive pins).</summary>
    public byte InterruptBothEdges { get; init; }

    /// <summary>GPIOIEV: 1 = rising edge or high level, 0 = falling edge or low level.</summary>
    public byte InterruptEvent { get; init; }

    /// <summary>GPIOIE: 1 = the pin's interrupt reaches the combined line.</summary>
    public byte InterruptMask { get; init; }

    /// <summary>Edges detected and not yet cleared through GPIOIC (edge-sensitive pins only; a
    /// level-sensitive pin's raw status is its level, not stored).</summary>
    public byte EdgeStatus { get; init; }

    /// <summary>GPIOAFSEL, kept for the guest to read back (this machine has no alternate functions).</summary>
    public byte AlternateFunction { get; init; }

    /// <summary>The levels the host drives on the pins (<see cref="Pl061Gpio.SetInput"/>); what an input pin reads.</summary>
    public byte Inputs { get; init; }
}
