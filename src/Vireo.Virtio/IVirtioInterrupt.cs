namespace Vireo.Virtio;

/// <summary>Where a virtio transport sends an MSI-X vector it decided to raise; the machine backs
/// it with an irqfd routed by the function's MSI-X table entry. Masking and pending bits are the
/// transport's business, so an implementation only delivers.</summary>
public interface IVirtioInterrupt
{
    /// <summary>Raises MSI-X <paramref name="vector"/>, which is unmasked and inside the table.
    /// Called with the transport's lock held: it must not block or call back into the transport.</summary>
    /// <param name="vector">The table entry to send.</param>
    void Signal(int vector);
}
