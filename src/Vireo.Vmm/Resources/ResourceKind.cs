namespace Vireo.Vmm;

/// <summary>The kinds of platform resource <see cref="PlatformResources"/> hands out.</summary>
public enum ResourceKind
{
    /// <summary>A range of x86 I/O ports.</summary>
    Pio,

    /// <summary>A range of guest-physical MMIO addresses.</summary>
    Mmio,

    /// <summary>A global system interrupt (an IOAPIC input).</summary>
    Gsi,

    /// <summary>An ACPI general-purpose event number in the GPE0 block.</summary>
    Gpe,
}
