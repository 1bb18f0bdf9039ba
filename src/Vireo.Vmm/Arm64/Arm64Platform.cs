using Vireo.Kvm;
using Vireo.Memory;
using Vireo.Sdei;

namespace Vireo.Vmm.Arm64;

/// <summary>
/// Vireo's arm64 machine: where its parts sit in the guest's physical address space. Devices low
/// (below 1 GiB, where the arm64 kernel's early mappings expect nothing of RAM), RAM from 1 GiB up:
/// <code>
/// 0x0800_0000  GICv3 distributor (64 KiB)
/// 0x0808_0000  GICv3 ITS (128 KiB), present when the machine has PCI functions
/// 0x080A_0000  GICv3 redistributors (128 KiB per vCPU, up to 0x0900_0000: 123 vCPUs)
/// 0x0900_0000  16550 UART (4 KiB), SPI 1
/// 0x0903_0000  PL061 GPIO (4 KiB), SPI 2: pin 3 is the power key
/// 0x1000_0000  PCI ECAM, bus 0 (1 MiB)
/// 0x1100_0000  PCI I/O space (64 KiB): port p at 0x1100_0000 + p
/// 0x2000_0000  PCI 32-bit memory window (512 MiB, up to RAM)
/// 0x4000_0000  RAM (at most 255 GiB)
/// 0x40_0000_0000  PCI 64-bit memory window (32 GiB, inside the 40-bit IPA space KVM gives by default)
/// </code>
/// PCI INTA#-INTD# are SPIs 4-7, as the host bridge's interrupt-map says; MSI and MSI-X go to the
/// ITS, which knows a function by its requester ID (the bridge's msi-map passes it through). The same places QEMU's virt machine uses for the GIC and the
/// UART (so a kernel's `earlycon` habits carry over), though Vireo's UART is a 16550, not a PL011.
/// </summary>
public static class Arm64Platform
{
    /// <summary>The first byte of guest RAM.</summary>
    public static readonly GuestAddress RamBase = new(0x4000_0000);

    /// <summary>The GICv3 distributor's registers.</summary>
    public static readonly MmioAddress GicDistributor = new(0x0800_0000);

    /// <summary>The distributor's size (GICv3: 64 KiB).</summary>
    public const ulong GicDistributorSize = 0x1_0000;

    /// <summary>The GICv3 ITS's frames (ITS control and GITS_TRANSLATER), where QEMU's virt has
    /// them: between the distributor and the redistributors.</summary>
    public static readonly MmioAddress GicIts = new(0x0808_0000);

    /// <summary>The ITS's size: two 64 KiB frames.</summary>
    public const ulong GicItsSize = 0x2_0000;

    /// <summary>The first redistributor; one frame pair per vCPU follows it.</summary>
    public static readonly MmioAddress GicRedistributors = new(0x080A_0000);

    /// <summary>One vCPU's redistributor (RD_base and SGI_base frames: 2 × 64 KiB).</summary>
    public const ulong GicRedistributorStride = 0x2_0000;

    /// <summary>The 16550 UART's registers (byte registers, reg-shift 0).</summary>
    public static readonly MmioAddress Uart = new(0x0900_0000);

    /// <summary>The UART's register window.</summary>
    public const ulong UartSize = 0x1000;

    /// <summary>The UART's shared peripheral interrupt (SPI 1: INTID 33).</summary>
    public const uint UartSpi = 1;

    /// <summary>The UART's GIC interrupt ID (SPIs start at INTID 32).</summary>
    public const uint UartIntid = KvmArmIrqLine.FirstSpi + UartSpi;

    /// <summary>The UART's input clock, as a PC's 16550 has (1.8432 MHz): the divisor the guest
    /// programs then means what it means on a PC.</summary>
    public const uint UartClockHz = 1_843_200;

    /// <summary>The PL061 GPIO controller's registers, where QEMU's virt has its PL061.</summary>
    public static readonly MmioAddress Gpio = new(0x0903_0000);

    /// <summary>The GPIO controller's register window (a PrimeCell's 4 KiB).</summary>
    public const ulong GpioSize = Devices.Pl061Gpio.WindowSize;

    /// <summary>The GPIO controller's combined interrupt (SPI 2: INTID 34).</summary>
    public const uint GpioSpi = 2;

    /// <summary>The GPIO controller's GIC interrupt ID.</summary>
    public const uint GpioIntid = KvmArmIrqLine.FirstSpi + GpioSpi;

    /// <summary>The pin the power key drives: pin 3, as on QEMU's virt.</summary>
    public const int PowerKeyPin = 3;

    /// <summary>The GPIO controller and its power key as the device tree describes them.</summary>
    public static Arm64Gpio GpioDescription { get; } = new(Gpio, GpioSize, GpioSpi, PowerKeyPin);

    /// <summary>The PCI root bus's ECAM window (bus 0 only: <see cref="Devices.PciRootBus.EcamSize"/>).</summary>
    public static readonly MmioAddress PciEcam = new(0x1000_0000);

    /// <summary>Where the PCI I/O space appears in memory: an I/O BAR at port p decodes at this plus p.</summary>
    public static readonly MmioAddress PciIo = new(0x1100_0000);

    /// <summary>The PCI I/O space's size: ports 0-0xFFFF.</summary>
    public const ulong PciIoSize = 0x1_0000;

    /// <summary>The PCI 32-bit (non-prefetchable) memory window, which ends where RAM starts.</summary>
    public static readonly MmioAddress PciMemory32 = new(0x2000_0000);

    /// <summary>The 32-bit window's size.</summary>
    public const ulong PciMemory32Size = 0x2000_0000;

    /// <summary>The PCI 64-bit (prefetchable) memory window, at 256 GiB.</summary>
    public static readonly MmioAddress PciMemory64 = new(0x40_0000_0000);

    /// <summary>The 64-bit window's size.</summary>
    public const ulong PciMemory64Size = 32UL << 30;

    /// <summary>The most RAM the machine has: what fits between <see cref="RamBase"/> and the 64-bit window.</summary>
    public static ulong MaxMemoryBytes => PciMemory64.Value - RamBase.Value;

    /// <summary>The SPIs of slot 0's INTA#-INTD# (the GSIs KVM raises them by); slot s pin p
    /// raises <c>PciIntxSpis[(s + p) % 4]</c>, the swizzle of a bridge (PCI-to-PCI Bridge 1.2 §9.1).</summary>
    public static IReadOnlyList<uint> PciIntxSpis { get; } = [4, 5, 6, 7];

    /// <summary>The PCI root bus's layout: the windows above, I/O BARs from port 0x1000 (arm64's
    /// PCIBIOS_MIN_IO) to the end of the I/O space, INTx on <see cref="PciIntxSpis"/>.</summary>
    public static Devices.PciRootBusLayout PciLayout { get; } = new(
        EcamBase: PciEcam,
        Memory32Base: PciMemory32,
        Memory32Size: PciMemory32Size,
        Memory64Base: PciMemory64,
        Memory64Size: PciMemory64Size,
        IoBarBase: new PioAddress(0x1000),
        IoBarSize: (uint)(PciIoSize - 0x1000),
        IntxGsis: PciIntxSpis);

    /// <summary>The host bridge the device tree describes: <see cref="PciLayout"/>, with the I/O
    /// space at <see cref="PciIo"/>.</summary>
    public static Arm64PciHostBridge PciHostBridge { get; } = new(PciLayout, PciIo, PciIoSize);

    /// <summary>Interrupts the vGIC implements, the 32 private ones (SGIs, PPIs) included: a
    /// multiple of 32, at least 64 (KVM_DEV_ARM_VGIC_GRP_NR_IRQS).</summary>
    public const uint GicInterrupts = 128;

    /// <summary>The most vCPUs whose redistributors fit below the UART.</summary>
    public const int MaxCpus = (int)((0x0900_0000 - 0x080A_0000) / GicRedistributorStride);

    /// <summary>
    /// The SDEI events the machine's firmware offers besides event 0 (the software-signalled one
    /// every SDEI implementation has): one of each kind DEN0054 defines, for the host to raise
    /// (`vireo remote sdei-signal`, the API's vm.sdei, a device through <see cref="SdeiFirmware"/>)
    /// and a guest to register. A static table, as the seed asks: what an event means is
    /// between the host and the guest's driver, and a guest finds each one's kind with
    /// EVENT_GET_INFO.
    /// <code>
    /// 100  private, normal      101  private, critical
    /// 200  shared,  normal      201  shared,  critical
    /// </code>
    /// </summary>
    public static IReadOnlyList<SdeiEventDescriptor> SdeiEvents { get; } =
    [
        new(100, SdeiEventType.Private, SdeiPriority.Normal),
        new(101, SdeiEventType.Private, SdeiPriority.Critical),
        new(200, SdeiEventType.Shared, SdeiPriority.Normal),
        new(201, SdeiEventType.Shared, SdeiPriority.Critical),
    ];

    /// <summary>The redistributor region for <paramref name="cpus"/> vCPUs.</summary>
    public static ulong GicRedistributorSize(int cpus) => (ulong)cpus * GicRedistributorStride;

    /// <summary>The GIC's shared interrupts: KVM's GSIs 0 up to this on the machine.</summary>
    public const uint Spis = GicInterrupts - KvmArmIrqLine.FirstSpi;

    /// <summary>The machine's resources with its fixed devices reserved: no ports and no GPEs to
    /// hand out (an arm64 machine has neither; the PCI I/O space is the root bus's own), MMIO
    /// below RAM, and the GIC's shared interrupts as the interrupt pool, numbered as KVM's GSIs
    /// number them (SPI n, INTID 32 + n).</summary>
    public static PlatformResources Resources(int cpus)
    {
        var resources = new PlatformResources(pioPool: (0, 0), mmioPool: (GicDistributor.Value, RamBase.Value),
            gsiPool: (0, Spis), gpeCount: 0);
        resources.Reserve(ResourceKind.Mmio, GicDistributor.Value, GicDistributorSize, "GICv3 distributor");
        resources.Reserve(ResourceKind.Mmio, GicIts.Value, GicItsSize, "GICv3 ITS");
        resources.Reserve(ResourceKind.Mmio, GicRedistributors.Value, GicRedistributorSize(cpus), "GICv3 redistributors");
        resources.Reserve(ResourceKind.Mmio, Uart.Value, UartSize, "UART (16550)");
        resources.Reserve(ResourceKind.Gsi, UartSpi, 1, "UART (16550)");
        resources.Reserve(ResourceKind.Mmio, Gpio.Value, GpioSize, "GPIO (PL061)");
        resources.Reserve(ResourceKind.Gsi, GpioSpi, 1, "GPIO (PL061)");
        resources.Reserve(ResourceKind.Mmio, PciEcam.Value, Devices.PciRootBus.EcamSize, "PCI ECAM (bus 0)");
        resources.Reserve(ResourceKind.Mmio, PciIo.Value, PciIoSize, "PCI I/O space");
        resources.Reserve(ResourceKind.Mmio, PciMemory32.Value, PciMemory32Size, "PCI 32-bit BAR window");
        resources.Reserve(ResourceKind.Mmio, PciMemory64.Value, PciMemory64Size, "PCI 64-bit BAR window");
        resources.Reserve(ResourceKind.Gsi, PciIntxSpis[0], (ulong)PciIntxSpis.Count, "PCI INTA-INTD");
        return resources;
    }
}
