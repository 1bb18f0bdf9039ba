namespace Vireo.Acpi;

/// <summary>A table that renders to its final bytes, checksum included.</summary>
public interface IAcpiTable
{
    /// <summary>The 4-character signature, e.g. "APIC" for the MADT.</summary>
    string Signature { get; }

    /// <summary>
    /// The complete table bytes, header and checksum included, ready to copy to guest memory.
    /// </summary>
    byte[] ToBytes();
}
