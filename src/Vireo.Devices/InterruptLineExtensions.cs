namespace Vireo.Devices;

/// <summary>Helpers over <see cref="IInterruptLine"/>.</summary>
public static class InterruptLineExtensions
{
    /// <summary>An edge for edge-triggered inputs: assert, then deassert.</summary>
    public static void Pulse(this IInterruptLine line)
    {
        line.Set(true);
        line.Set(false);
    }
}
