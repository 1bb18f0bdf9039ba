namespace Vireo.Devices;

/// <summary>
/// A device's register window on a bus. Offsets are relative to where the device was
/// inserted; the data length is the access width (1, 2, 4 or 8 bytes). Implementations are
/// pure: they know nothing of KVM, vCPUs or threads beyond being called concurrently.
/// </summary>
public interface IBusDevice
{
    void Read(ulong offset, Span<byte> data);

    void Write(ulong offset, ReadOnlySpan<byte> data);
}
