namespace Vireo.Loader;

/// <summary>E820 range types (ACPI 6.5 §15.2 Address Range Types).</summary>
public enum E820Type : uint
{
    Ram = 1,
    Reserved = 2,
    Acpi = 3,
    Nvs = 4,
    Unusable = 5,
}
