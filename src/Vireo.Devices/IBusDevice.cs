namespace Vireo.Devices;

/// <summary>
/// A device's register window on a bus. Offsets are relative to where the device was
/// inserted; the data length is the access width (1, 2, 4 or 8 bytes). Implementations are
/// pure: they know nothing of KVM, vCPUs or threads beyond being called concurrently.
/// </summary>
public interface IBusDevice
{
    /// <summary>Handles a guest read; the device fills all of <paramref name="data"/>.</summary>
    /// <param name="offset">The address relative to the start of the device's range.</param>
    /// <param name="data">The bytes to return to the guest, as many as the access is wide.</param>
    void Read(ulong offset, Span<byte> data);

    /// <summary>Handles a guest write.</summary>
    /// <param name="offset">The address relative to the start of the device's range.</param>
    /// <param name="data">The bytes the guest wrote, as many as the access is wide, little-endian.</param>
    void Write(ulong offset, ReadOnlySpan<byte> data);
}
