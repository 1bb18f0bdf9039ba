namespace Vireo.Loader;

/// <summary>E820 range types (ACPI 6.5 §15.2 Address Range Types).</summary>
public enum E820Type : uint
{
    /// <summary>AddressRangeMemory: usable RAM.</summary>
    Ram = 1,
    /// <summary>AddressRangeReserved: not to be used by the OS.</summary>
    Reserved = 2,
    /// <summary>AddressRangeACPI: ACPI tables, reclaimable after they are read.</summary>
    Acpi = 3,
    /// <summary>AddressRangeNVS: ACPI NVS memory, preserved across sleep.</summary>
    Nvs = 4,
    /// <summary>AddressRangeUnusable: memory with detected errors.</summary>
    Unusable = 5,
}
