namespace Vireo.Acpi;

/// <summary>_MEM, bits 1-2 of a memory address space descriptor's type-specific flags
/// (ACPI 6.5 §6.4.3.5.5, Table 6.50).</summary>
internal enum AmlMemoryCaching : byte
{
    NonCacheable = 0,
    Cacheable = 1,
    WriteCombining = 2,
    Prefetchable = 3,
}
