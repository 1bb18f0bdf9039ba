namespace Vireo.Acpi;

/// <summary>A rendered table and the guest physical address it must be copied to.</summary>
public sealed record PlacedAcpiTable(string Signature, ulong Address, byte[] Bytes);
