namespace Vireo.Fdt;

/// <summary>The finished blob would exceed the caller's limit (Linux's arm64 boot protocol, for
/// one, takes at most 2 MiB).</summary>
public sealed class FdtSizeException(long size, long limit) : FdtException($"the device tree would be {size} bytes, over the limit of {limit}")
{
    /// <summary>Bytes the blob would take.</summary>
    public long Size { get; } = size;

    /// <summary>The caller's limit.</summary>
    public long Limit { get; } = limit;
}
