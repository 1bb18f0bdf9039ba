namespace Vireo.Memory;

/// <summary>An address on a device bus (port I/O or MMIO), widened for range lookups.</summary>
public interface IBusAddress
{
    /// <summary>
    /// The address as a plain number, for ordering and range arithmetic on a bus.
    /// </summary>
    ulong Raw { get; }
}
