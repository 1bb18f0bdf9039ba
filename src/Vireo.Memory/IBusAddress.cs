namespace Vireo.Memory;

/// <summary>An address on a device bus (port I/O or MMIO), widened for range lookups.</summary>
public interface IBusAddress
{
    ulong Raw { get; }
}
