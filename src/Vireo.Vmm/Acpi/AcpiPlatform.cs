using Vireo.Acpi;
using Vireo.Devices;
using Vireo.Memory;

namespace Vireo.Vmm;

/// <summary>
/// The ACPI tables of a PC-like machine: a DSDT that is the concatenation of the AML the devices
/// contribute, a revision 6 FADT for full (not hardware-reduced) ACPI whose PM1a, PM timer and
/// GPE0 blocks are the <see cref="AcpiPmDevice"/> window at <see cref="PmBase"/>, the FACS, an
/// MADT and the XSDT, with a revision 2 RSDP in the BIOS area where Linux also scans for it.
/// </summary>
/// <remarks>
/// The PM block sits at port 0x600, where both QEMU's q35 (ICH9 PMBASE) and crosvm put theirs;
/// it is clear of the ISA range, of PCI config ports 0xCF8-0xCFF and of what PCI I/O BARs are
/// usually given (0x1000 and up), and the device keeps ICH9's register offsets inside it.
/// The MADT follows the MP table: APIC ID = vCPU index, the IOAPIC's ID right after the vCPUs'.
/// ISA IRQ 0 gets no override to GSI 2, because KVM's default routing sends ISA IRQ n to IOAPIC
/// pin n (the in-kernel PIT uses GSI 0); only the SCI's IRQ is overridden, to level-triggered
/// active-high, which is how the PM device drives it.
/// </remarks>
public sealed class AcpiPlatform
{
    /// <summary>16-byte aligned inside 0xE0000-0xFFFFF, the range Linux scans for "RSD PTR "
    /// when boot_params carries no RSDP address (ACPI 6.5 §5.2.5.1).</summary>
    public static readonly GuestAddress RsdpAddress = new(0xE_0000);

    /// <summary>The tables follow the RSDP; the FACS, placed first, needs this 64-byte boundary.</summary>
    public static readonly GuestAddress TablesAddress = new(0xE_0040);

    /// <summary>The BIOS area ends at 1 MiB; e820 marks it reserved.</summary>
    public static readonly GuestAddress TablesLimit = new(0x10_0000);

    /// <summary>The ACPI PM block's base port (PM1, PM timer, GPE0), above the ISA range as on PIIX4-era PCs.</summary>
    public static readonly PioAddress DefaultPmBase = new(0x600);

    /// <summary>ISA IRQ 9 is the SCI on PCs (PIIX4 and ICH alike) and what Linux expects.</summary>
    public const byte SciIrq = 9;

    /// <summary>APIC IDs 0..n-1 go to the vCPUs and n to the IOAPIC; xAPIC IDs stop at 254.</summary>
    public const int MaxVcpus = 254;

    /// <summary>The tables for <paramref name="vcpuCount"/> vCPUs; the DSDT is <paramref name="deviceAml"/>, what the devices describe of themselves, the FADT points at the PM block at <paramref name="pmBase"/>, and <paramref name="mcfg"/>, when given, lists the PCI ECAM windows.</summary>
    public AcpiPlatform(int vcpuCount, IEnumerable<IAml> deviceAml, PioAddress? pmBase = null, Mcfg? mcfg = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vcpuCount, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(vcpuCount, MaxVcpus);
        ArgumentNullException.ThrowIfNull(deviceAml);
        PioAddress pm = pmBase ?? DefaultPmBase;
        if (pm.Value + AcpiPmDevice.WindowLength > ushort.MaxValue + 1)
        {
            throw new ArgumentOutOfRangeException(nameof(pmBase), pm, "the PM window must fit in the 64 KiB port space");
        }
        VcpuCount = vcpuCount;
        PmBase = pm;

        Dsdt = new Dsdt(deviceAml);
        Facs = new Facs();
        Fadt = new Fadt(
            pm1aEventBlock: Port(AcpiPmDevice.Pm1EventOffset),
            pm1EventLength: AcpiPmDevice.Pm1EventLength,
            pm1aControlBlock: Port(AcpiPmDevice.Pm1ControlOffset),
            pm1ControlLength: AcpiPmDevice.Pm1ControlLength,
            pmTimerBlock: Port(AcpiPmDevice.PmTimerOffset),
            gpe0Block: Port(AcpiPmDevice.Gpe0Offset),
            gpe0BlockLength: AcpiPmDevice.Gpe0Length,
            sciInterrupt: SciIrq,
            flags: Fadt.DefaultFlags)
        {
            // COM1 and the i8042 are ISA devices; there is no VGA; the RTC keeps the century at 0x32.
            BootArch = FadtBootArch.LegacyDevices | FadtBootArch.Keyboard8042 | FadtBootArch.VgaNotPresent,
            Century = 0x32,
        };
        Madt = new Madt(
        [
            .. Madt.Processors(vcpuCount),
            new MadtIoApic(IoApicId(vcpuCount), MadtIoApic.DefaultAddress, 0),
            new MadtInterruptOverride(SciIrq, SciIrq, MpsIntiFlags.ActiveHigh | MpsIntiFlags.LevelTriggered),
        ]);
        Mcfg = mcfg;
        TableSet = mcfg is null ? new AcpiTableSet(Fadt, Facs, Dsdt, Madt) : new AcpiTableSet(Fadt, Facs, Dsdt, Madt, mcfg);
    }

    /// <summary>vCPUs the MADT lists (APIC IDs 0..n-1).</summary>
    public int VcpuCount { get; }

    /// <summary>Where the <see cref="AcpiPmDevice"/> must be inserted on the port bus,
    /// <see cref="AcpiPmDevice.WindowLength"/> ports long.</summary>
    public PioAddress PmBase { get; }

    /// <summary>The DSDT: the devices' own AML, concatenated.</summary>
    public Dsdt Dsdt { get; }

    /// <summary>The FADT: the PM block's registers, the SCI, hardware-reduced off (ACPI 6.5 §5.2.9).</summary>
    public Fadt Fadt { get; }

    /// <summary>The FACS the FADT points to.</summary>
    public Facs Facs { get; }

    /// <summary>The MADT: local APICs, the IOAPIC and the SCI's interrupt override.</summary>
    public Madt Madt { get; }

    /// <summary>The MCFG, when the machine has a PCI root bus with ECAM.</summary>
    public Mcfg? Mcfg { get; }

    /// <summary>Every table, for placing them in guest memory.</summary>
    public AcpiTableSet TableSet { get; }

    /// <summary>The IOAPIC takes the first APIC ID after the vCPUs', as in the MP table.</summary>
    public static byte IoApicId(int vcpuCount) => (byte)vcpuCount;

    /// <summary>Renders and links the tables at their guest addresses without writing them anywhere.</summary>
    public PlacedAcpiTables Place()
    {
        IReadOnlyList<PlacedAcpiTable> tables = TableSet.Place(RsdpAddress.Value, TablesAddress.Value);
        PlacedAcpiTable last = tables[^1];
        ulong end = last.Address + (ulong)last.Bytes.Length;
        if (end > TablesLimit.Value)
        {
            throw new InvalidOperationException($"the ACPI tables end at 0x{end:x}, past the BIOS area that ends at {TablesLimit}");
        }
        return new PlacedAcpiTables(RsdpAddress, tables);
    }

    /// <summary>Copies every table to its address in <paramref name="memory"/>.</summary>
    public PlacedAcpiTables WriteTo(GuestMemory memory)
    {
        ArgumentNullException.ThrowIfNull(memory);
        PlacedAcpiTables placed = Place();
        foreach (PlacedAcpiTable table in placed.Tables)
        {
            memory.Write(new GuestAddress(table.Address), table.Bytes);
        }
        return placed;
    }

    /// <summary>Writes each table, as linked for the guest, to <c>SIG.dat</c> in
    /// <paramref name="directory"/> (DSDT.dat, FACP.dat, APIC.dat, MCFG.dat, FACS.dat, XSDT.dat, RSDP.dat),
    /// the form <c>iasl -d</c> reads; iasl cannot disassemble an RSDP, so check RSDP.dat by its
    /// checksums. Returns the paths written.</summary>
    public IReadOnlyList<string> WriteFiles(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory.CreateDirectory(directory);
        var paths = new List<string>();
        foreach (PlacedAcpiTable table in Place().Tables)
        {
            string path = Path.Combine(directory, FileName(table.Signature));
            File.WriteAllBytes(path, table.Bytes);
            paths.Add(path);
        }
        return paths;
    }

    /// <summary>The dump file name for a table signature; the RSDP's "RSD PTR " becomes RSDP.</summary>
    public static string FileName(string signature)
    {
        ArgumentNullException.ThrowIfNull(signature);
        return (signature == "RSD PTR " ? "RSDP" : signature) + ".dat";
    }

    private ushort Port(int offset) => (ushort)(PmBase.Value + offset);
}
