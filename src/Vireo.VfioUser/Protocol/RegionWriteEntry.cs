namespace Vireo.VfioUser;

/// <summary>One write of REGION_WRITE_MULTI: offset, region, count (1 to 8) and up to 8 data bytes.</summary>
public readonly record struct RegionWriteEntry(ulong Offset, uint Region, uint Count, ulong Data);
