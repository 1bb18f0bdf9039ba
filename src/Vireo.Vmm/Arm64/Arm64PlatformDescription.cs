using Vireo.Memory;

namespace Vireo.Vmm.Arm64;

/// <summary>
/// What an arm64 machine is made of, as its device tree tells the guest
/// (<see cref="Arm64DeviceTree.Build"/>): RAM, the vCPUs' MPIDRs, the in-kernel GICv3's frames,
/// the 16550 UART, the GPIO controller and its power key, the PCI host bridge, the command line and initrd, and whether SDEI is offered. The machine
/// builder fills it from its own layout; nothing here has a default address.
/// </summary>
public sealed record Arm64PlatformDescription
{
    /// <summary>Where guest RAM starts.</summary>
    public required GuestAddress RamBase { get; init; }

    /// <summary>Bytes of guest RAM.</summary>
    public required ulong RamSize { get; init; }

    /// <summary>Each vCPU's MPIDR_EL1 (as KVM reports it), the first the boot CPU.</summary>
    public required IReadOnlyList<ulong> CpuMpidrs { get; init; }

    /// <summary>The GICv3 distributor frame (GICD).</summary>
    public required MmioAddress GicDistributorBase { get; init; }

    /// <summary>Bytes of the distributor frame (64 KiB on GICv3).</summary>
    public required ulong GicDistributorSize { get; init; }

    /// <summary>The redistributor region (GICR): one 128 KiB pair of frames per vCPU, contiguous.</summary>
    public required MmioAddress GicRedistributorBase { get; init; }

    /// <summary>Bytes of the redistributor region.</summary>
    public required ulong GicRedistributorSize { get; init; }

    /// <summary>The GICv3 ITS's frames (128 KiB), to which the PCI host bridge's msi-map sends
    /// every function's MSIs; none when null (INTx only).</summary>
    public MmioAddress? GicItsBase { get; init; }

    /// <summary>The 16550 UART's registers (one byte per register).</summary>
    public required MmioAddress UartBase { get; init; }

    /// <summary>Bytes of the UART's MMIO window.</summary>
    public required ulong UartSize { get; init; }

    /// <summary>The UART's SPI number (0-987; GIC INTID 32 + this).</summary>
    public required uint UartSpi { get; init; }

    /// <summary>The UART's input clock in Hz, from which the guest computes its divisor.</summary>
    public required uint UartClockHz { get; init; }

    /// <summary>The kernel command line (/chosen/bootargs).</summary>
    public required string Bootargs { get; init; }

    /// <summary>Where the initrd starts in RAM; null without one.</summary>
    public GuestAddress? InitrdStart { get; init; }

    /// <summary>Where the initrd ends (exclusive); set exactly when <see cref="InitrdStart"/> is.</summary>
    public GuestAddress? InitrdEnd { get; init; }

    /// <summary>Random bytes for /chosen/rng-seed (the guest credits them to its entropy pool
    /// before any device exists); none when empty.</summary>
    public ReadOnlyMemory<byte> RngSeed { get; init; }

    /// <summary>Whether to describe SDEI (/firmware/sdei, "arm,sdei-1.0" over HVC).</summary>
    public bool Sdei { get; init; }

    /// <summary>The generic ECAM PCI host bridge; none when null.</summary>
    public Arm64PciHostBridge? Pci { get; init; }

    /// <summary>The PL061 GPIO controller with the power key on one of its pins; none when null.</summary>
    public Arm64Gpio? Gpio { get; init; }
}

/// <summary>
/// A PL061 GPIO controller as the device tree describes it (bindings/gpio/pl061-gpio.yaml), with
/// the fixed clock an AMBA PrimeCell needs to probe and a <c>gpio-keys</c> power key
/// (KEY_POWER, active high) on <paramref name="PowerKeyPin"/>.
/// </summary>
/// <param name="Base">The controller's registers.</param>
/// <param name="Size">Bytes of its window (4 KiB).</param>
/// <param name="Spi">Its combined interrupt's SPI, level-high.</param>
/// <param name="PowerKeyPin">The pin the power key drives (0-7).</param>
public sealed record Arm64Gpio(MmioAddress Base, ulong Size, uint Spi, int PowerKeyPin);

/// <summary>
/// A PCI host bridge as a device tree describes one (bindings/pci/host-generic-pci.yaml, the
/// "pci-host-ecam-generic" a stock arm64 kernel drives with CONFIG_PCI_HOST_GENERIC): the root
/// bus's own layout (<see cref="Devices.PciRootBusLayout"/>: bus 0's ECAM window, its memory
/// windows, each mapped 1:1 to the same PCI addresses, and the SPIs of slot 0's INTA#-INTD#),
/// and where in memory the PCI I/O space appears, from port 0.
/// </summary>
/// <param name="Bus">The root bus's layout, the one the machine builds the bus with.</param>
/// <param name="IoSpace">Where port 0 of the PCI I/O space is in memory.</param>
/// <param name="IoSpaceSize">Ports in the I/O space.</param>
public sealed record Arm64PciHostBridge(Devices.PciRootBusLayout Bus, MmioAddress IoSpace, ulong IoSpaceSize);
