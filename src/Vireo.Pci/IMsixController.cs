namespace Vireo.Pci;

/// <summary>
/// The owner of one function's MSI-X state: the guest's table, the Pending Bit Array, the
/// capability's Enable and Function Mask bits, and delivery. An emulated function forwards its
/// guest's table, PBA and Message Control accesses here and raises vectors through
/// <see cref="Signal"/>; masking and pending bits are the owner's alone (PCI 3.0 §6.8.2.9), so
/// every function in a machine, emulated or assigned, has one MSI-X mechanism. The machine's
/// implementation routes each vector to KVM as an irqfd.
/// </summary>
public interface IMsixController
{
    /// <summary>The number of vectors (the table's size).</summary>
    int Vectors { get; }

    /// <summary>A guest read of the MSI-X table at <paramref name="offset"/> from its start.</summary>
    void ReadTable(ulong offset, Span<byte> data);

    /// <summary>A guest write to the MSI-X table at <paramref name="offset"/> from its start.</summary>
    void WriteTable(ulong offset, ReadOnlySpan<byte> data);

    /// <summary>A guest read of the Pending Bit Array at <paramref name="offset"/> from its start.</summary>
    void ReadPba(ulong offset, Span<byte> data);

    /// <summary>The capability's MSI-X Enable and Function Mask bits, after any guest write to
    /// Message Control (a call that changes nothing is cheap).</summary>
    void SetControl(bool enabled, bool functionMasked);

    /// <summary>The function raises <paramref name="vector"/>: delivered now if MSI-X is enabled
    /// and the vector and function are unmasked, else its pending bit is set and it is delivered
    /// on unmask. Never blocks; safe from any thread and under the caller's own lock.</summary>
    /// <param name="vector">The table entry, below <see cref="Vectors"/>.</param>
    void Signal(int vector);
}
