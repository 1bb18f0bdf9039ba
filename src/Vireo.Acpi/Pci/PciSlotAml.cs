namespace Vireo.Acpi;

/// <summary>
/// The ACPI Device of one populated slot on the root bus, <c>Device (Sss) { _ADR, _SUN }</c>
/// inside <see cref="PciHostBridgeAml.DevicePath"/>: what the guest's ACPI core binds to the PCI
/// function at that slot (drivers/acpi/glue.c matches _ADR), so later work hangs per-device
/// objects off it (_PRW, _PS0/_PS3, power resources, a Notify target) with <see cref="Add"/>.
/// </summary>
/// <remarks>
/// ASL, for slot 3:
/// <code>
/// Device (S03)
/// {
///     Name (_ADR, 0x00030000)  // device 3, function 0 (ACPI 6.5 §6.1.1, PCI: high word device, low word function)
///     Name (_SUN, 0x03)        // slot user number (ACPI 6.5 §6.1.12)
/// }
/// </code>
/// </remarks>
public sealed class PciSlotAml : IAml
{
    /// <summary>Slots on one PCI bus (PCI 3.0 §3.2.2.3.2: five device-number bits).</summary>
    public const int SlotCount = 32;

    private readonly List<IAml> _children = [];
    private readonly List<IAml> _siblings = [];

    /// <summary>The Device for function 0 of <paramref name="slot"/>.</summary>
    /// <param name="slot">The device number on bus 0, 0 to 31.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="slot"/> is not 0 to 31.</exception>
    public PciSlotAml(int slot)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)slot, (uint)SlotCount, nameof(slot));
        Slot = slot;
    }

    /// <summary>The device number on bus 0.</summary>
    public int Slot { get; }

    /// <summary>The Device's NameSeg: <c>S</c> and the slot in two hex digits, padded, as QEMU
    /// names them (<c>S03_</c>).</summary>
    public string Name => $"S{Slot:X2}_";

    /// <summary>The Device's absolute path, for Notify and references from elsewhere in the DSDT
    /// (<c>\_SB.PCI0.S03_</c>).</summary>
    public string Path => $"{PciHostBridgeAml.DevicePath}.{Name}";

    /// <summary>_ADR: device number in the high word, function 0 in the low word (ACPI 6.5 §6.1.1).</summary>
    public uint Address => (uint)Slot << 16;

    /// <summary>What was added after _ADR and _SUN, in order.</summary>
    public IReadOnlyList<IAml> Children => _children;

    /// <summary>Adds an object inside the Device (a method, a Name, a power resource reference);
    /// before the tables are rendered.</summary>
    public void Add(IAml child)
    {
        ArgumentNullException.ThrowIfNull(child);
        _children.Add(child);
    }

    /// <summary>Adds an object of the slot that must not be inside function 0's Device (an eject object
    /// for another function number of the slot), emitted in the same scope and before it: a
    /// guest that walks the bus's objects in order meets them first. Linux's acpiphp
    /// (acpiphp_glue.c acpiphp_add_context) creates a slot for the first object of a device
    /// number and registers it as a hotplug slot (/sys/bus/pci/slots/N/power) only when that
    /// first object is ejectable.
    /// Call before the tables are rendered.</summary>
    public void AddSibling(IAml sibling)
    {
        ArgumentNullException.ThrowIfNull(sibling);
        _siblings.Add(sibling);
    }

    /// <inheritdoc/>
    public void AppendTo(AmlSink sink)
    {
        foreach (IAml sibling in _siblings)
        {
            sibling.AppendTo(sink);
        }
        new AmlDevice(Name,
        [
            new AmlName("_ADR", new AmlInteger(Address)),
            new AmlName("_SUN", new AmlInteger((ulong)Slot)),
            .. _children,
        ]).AppendTo(sink);
    }
}
