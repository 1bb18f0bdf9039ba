namespace Vireo.Lab;

/// <summary>One result line of the edu checker (<see cref="EduChecker.Parse"/>).</summary>
/// <param name="Address">The device's PCI address in the guest.</param>
/// <param name="Check">id, liveness, factorial, dma, irq, or checks (the summary).</param>
/// <param name="Ok">Whether the check passed.</param>
/// <param name="Reason">Why it failed (empty when it passed).</param>
/// <param name="Fields">The line's key=value pairs (value, wrote, read, result, bytes, raised, irqs, spurious, mode, passed, failed...).</param>
public sealed record EduCheckLine(string Address, string Check, bool Ok, string Reason, IReadOnlyDictionary<string, string> Fields);
