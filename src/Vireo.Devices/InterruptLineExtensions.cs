namespace Vireo.Devices;

public static class InterruptLineExtensions
{
    /// <summary>An edge for edge-triggered inputs: assert, then deassert.</summary>
    public static void Pulse(this IInterruptLine line)
    {
        line.Set(true);
        line.Set(false);
    }
}
