namespace Vireo.Acpi;

/// <summary>
/// The PCI Express root complex in the DSDT, <c>\_SB.PCI0</c>: what Linux's acpi_pci_root driver
/// binds (drivers/acpi/pci_root.c) to scan bus 0 with the windows in _CRS, route INTx through
/// _PRT and negotiate native PCIe control through _OSC; and one <see cref="PciSlotAml"/> per
/// populated slot.
/// </summary>
/// <remarks>
/// ASL (windows and GSIs from the constructor; the _PRT has 128 entries, slot 0-31 × INTA-INTD):
/// <code>
/// Scope (\_SB)
/// {
///     Device (PCI0)
///     {
///         Name (_HID, EisaId ("PNP0A08"))  // PCI Express root bridge
///         Name (_CID, EisaId ("PNP0A03"))  // PCI root bridge, for OSes that know no PCIe
///         Name (_SEG, Zero)
///         Name (_BBN, Zero)
///         Name (_UID, Zero)
///         Name (_CRS, ResourceTemplate ()
///         {
///             WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode, 0x0000, 0x0000, 0x0000, 0x0000, 0x0001)
///             IO (Decode16, 0x0CF8, 0x0CF8, 0x01, 0x08)
///             WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange, 0x0000, 0x0000, 0x0CF7, 0x0000, 0x0CF8)
///             WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange, 0x0000, 0x0D00, 0xFFFF, 0x0000, 0xF300)
///             DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite, 0x00000000, mem32Min, mem32Max, 0x00000000, mem32Length)
///             QWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, Prefetchable, ReadWrite, 0x0, mem64Min, mem64Max, 0x0, mem64Length)
///         })
///         Method (_OSC, 4, NotSerialized)
///         {
///             CreateDWordField (Arg3, Zero, CDW1)
///             If ((Arg0 != ToUUID ("33db4d5b-1ff7-401c-9657-7441c03dd766")))
///             {
///                 CDW1 |= 0x04  // Unrecognized UUID
///             }
///             If ((Arg1 != One))
///             {
///                 CDW1 |= 0x08  // Unrecognized Revision
///             }
///             Return (Arg3)     // every control the OS asked for is granted
///         }
///         Name (_PRT, Package (0x80)
///         {
///             Package (0x04) { 0xFFFF, Zero, Zero, gsi[0] },
///             Package (0x04) { 0xFFFF, One, Zero, gsi[1] },
///             ...
///             Package (0x04) { 0x001FFFFF, 0x03, Zero, gsi[(31 + 3) % 4] }
///         })
///         Device (S01) { ... }  // one per populated slot
///     }
/// }
/// </code>
/// The _OSC grants all the OS requests: there are no root ports, hotplug controllers or AER
/// sources behind this bridge for the firmware to keep, and a PNP0A08 bridge without _OSC makes
/// Linux log that the platform "retains control of PCIe features" and turn ASPM off.
/// </remarks>
public sealed class PciHostBridgeAml : IAml
{
    /// <summary>The bridge's absolute path.</summary>
    public const string DevicePath = "\\_SB.PCI0";

    /// <summary>PCI Firmware Specification 3.3 §4.5.1: the _OSC UUID of PCI host bridges.</summary>
    public const string OscUuid = "33db4d5b-1ff7-401c-9657-7441c03dd766";

    /// <summary>Interrupt pins per slot, INTA# to INTD# (PCI 3.0 §2.2.6).</summary>
    public const int IntxPins = 4;

    // ACPI 6.5 §6.2.11 Table 6.12: _OSC Capabilities Buffer DWORD 1 error bits.
    private const ulong OscUnrecognizedUuid = 0x04;
    private const ulong OscUnrecognizedRevision = 0x08;

    /// <summary>The root bus's I/O windows in _CRS: all ports but CONFIG_ADDRESS/CONFIG_DATA
    /// (0xCF8-0xCFF), which the bridge consumes, and 0xD00-0xFFF left as on a PC.</summary>
    public static readonly IReadOnlyList<(ushort First, ushort Last)> IoWindows = [(0x0000, 0x0CF7), (0x0D00, 0xFFFF)];

    private readonly PciSlotAml[] _slots;
    private readonly uint[] _intxGsis;

    /// <summary>Describes a root bridge for bus 0 of segment 0.</summary>
    /// <param name="memory32">The 32-bit memory window: first address and length (non-prefetchable).</param>
    /// <param name="memory64">The 64-bit memory window above 4 GiB: first address and length (prefetchable).</param>
    /// <param name="intxGsis">The four GSIs INTA#-INTD# of slot 0 go to; slot s pin p goes to
    /// <c>intxGsis[(s + p) % 4]</c>, the usual swizzle, so devices in neighbouring slots spread over them.</param>
    /// <param name="slots">The populated slots' Devices, at distinct slots.</param>
    /// <exception cref="ArgumentException">A window is empty, wraps or lies on the wrong side of
    /// 4 GiB, there are not exactly four GSIs, or two slot Devices share a slot.</exception>
    public PciHostBridgeAml((ulong Base, ulong Length) memory32, (ulong Base, ulong Length) memory64, IReadOnlyList<uint> intxGsis, IEnumerable<PciSlotAml> slots)
    {
        ArgumentNullException.ThrowIfNull(intxGsis);
        ArgumentNullException.ThrowIfNull(slots);
        if (memory32.Length == 0 || memory32.Base + memory32.Length > 1UL << 32)
        {
            throw new ArgumentException($"the 32-bit window 0x{memory32.Base:x}+0x{memory32.Length:x} is empty or crosses 4 GiB", nameof(memory32));
        }
        if (memory64.Length == 0 || memory64.Base < 1UL << 32 || memory64.Base + memory64.Length < memory64.Base)
        {
            throw new ArgumentException($"the 64-bit window 0x{memory64.Base:x}+0x{memory64.Length:x} is empty, below 4 GiB or wraps", nameof(memory64));
        }
        if (intxGsis.Count != IntxPins)
        {
            throw new ArgumentException($"INTx routing needs {IntxPins} GSIs, got {intxGsis.Count}", nameof(intxGsis));
        }
        _slots = slots.OrderBy(s => s.Slot).ToArray();
        if (_slots.Select(s => s.Slot).Distinct().Count() != _slots.Length)
        {
            throw new ArgumentException("two slot Devices share a slot", nameof(slots));
        }
        Memory32 = memory32;
        Memory64 = memory64;
        _intxGsis = intxGsis.ToArray();
    }

    /// <summary>The 32-bit memory window.</summary>
    public (ulong Base, ulong Length) Memory32 { get; }

    /// <summary>The 64-bit memory window.</summary>
    public (ulong Base, ulong Length) Memory64 { get; }

    /// <summary>The GSIs of slot 0's INTA#-INTD#.</summary>
    public IReadOnlyList<uint> IntxGsis => _intxGsis;

    /// <summary>The populated slots' Devices, by slot.</summary>
    public IReadOnlyList<PciSlotAml> Slots => _slots;

    /// <summary>The GSI that <paramref name="pin"/> (0 = INTA#) of <paramref name="slot"/> raises.</summary>
    public static uint IntxGsi(IReadOnlyList<uint> intxGsis, int slot, int pin)
    {
        ArgumentNullException.ThrowIfNull(intxGsis);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)slot, (uint)PciSlotAml.SlotCount, nameof(slot));
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)pin, (uint)IntxPins, nameof(pin));
        return intxGsis[(slot + pin) % IntxPins];
    }

    /// <inheritdoc/>
    public void AppendTo(AmlSink sink)
    {
        var arg3 = new AmlArg(3);
        var cdw1 = new AmlPath("CDW1");
        sink.Append(new AmlScope("\\_SB", new AmlDevice("PCI0",
        [
            new AmlName("_HID", new AmlEisaId("PNP0A08")),
            new AmlName("_CID", new AmlEisaId("PNP0A03")),
            new AmlName("_SEG", AmlInteger.Zero),
            new AmlName("_BBN", AmlInteger.Zero),
            new AmlName("_UID", AmlInteger.Zero),
            new AmlName("_CRS", new AmlResourceTemplate(
                AddressSpaceDescriptor.WordBusNumber(0, 0),
                new IoDescriptor(0xCF8, 8),
                AddressSpaceDescriptor.WordIo(IoWindows[0].First, IoWindows[0].Last),
                AddressSpaceDescriptor.WordIo(IoWindows[1].First, IoWindows[1].Last),
                AddressSpaceDescriptor.DWordMemory((uint)Memory32.Base, (uint)(Memory32.Base + Memory32.Length - 1), AmlMemoryCaching.NonCacheable),
                AddressSpaceDescriptor.QWordMemory(Memory64.Base, Memory64.Base + Memory64.Length - 1, AmlMemoryCaching.Prefetchable))),
            new AmlMethod("_OSC", 4, serialized: false,
                new AmlCreateField(AmlCreateFieldKind.DWord, arg3, AmlInteger.Zero, cdw1),
                new AmlIf(new AmlCompare(AmlCompareOperator.LNotEqual, new AmlArg(0), new AmlUuid(OscUuid)),
                    new AmlBinary(AmlBinaryOperator.Or, cdw1, new AmlInteger(OscUnrecognizedUuid), cdw1)),
                new AmlIf(new AmlCompare(AmlCompareOperator.LNotEqual, new AmlArg(1), AmlInteger.One),
                    new AmlBinary(AmlBinaryOperator.Or, cdw1, new AmlInteger(OscUnrecognizedRevision), cdw1)),
                new AmlReturn(arg3)),
            new AmlName("_PRT", new AmlPackage(RoutingEntries())),
            .. _slots,
        ])));
    }

    // ACPI 6.5 §6.2.13 _PRT: {Address (slot in the high word, 0xFFFF = any function), Pin, Source
    // (0 = Source Index is a GSI), Source Index}.
    private IEnumerable<IAml> RoutingEntries()
    {
        for (int slot = 0; slot < PciSlotAml.SlotCount; slot++)
        {
            for (int pin = 0; pin < IntxPins; pin++)
            {
                yield return new AmlPackage(
                    new AmlInteger(((ulong)slot << 16) | 0xFFFF),
                    new AmlInteger((ulong)pin),
                    AmlInteger.Zero,
                    new AmlInteger(IntxGsi(_intxGsis, slot, pin)));
            }
        }
    }
}
