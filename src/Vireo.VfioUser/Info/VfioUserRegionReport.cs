namespace Vireo.VfioUser;

/// <summary>One region as <c>vireo vfio-user info</c> shows it.</summary>
public sealed record VfioUserRegionReport(uint Index, string Name, ulong Size, ulong Offset, uint Flags, IReadOnlyList<string> FlagNames, bool MmapFdOffered, IReadOnlyList<SparseMmapArea> SparseMmapAreas);
