namespace Vireo.VfioUser;

/// <summary>One IRQ index as <c>vireo vfio-user info</c> shows it.</summary>
public sealed record VfioUserIrqReport(uint Index, string Name, uint Count, uint Flags, IReadOnlyList<string> FlagNames);
