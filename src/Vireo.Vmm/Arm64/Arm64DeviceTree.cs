using Vireo.Fdt;
using Vireo.Loader;

namespace Vireo.Vmm.Arm64;

/// <summary>
/// The device tree of Vireo's arm64 machine, a pure function of its
/// <see cref="Arm64PlatformDescription"/>: CPUs started by PSCI over HVC, RAM, /chosen, the
/// in-kernel GICv3, the architected timer, PSCI, optionally SDEI, a 16550 UART as the console, a
/// PL061 GPIO controller with a power key, and a generic ECAM PCI host bridge.
/// The bindings are the Linux kernel's (Documentation/devicetree/bindings/...), each cited below.
/// </summary>
public static class Arm64DeviceTree
{
    // bindings/interrupt-controller/arm,gic-v3.yaml: cell 1 of an interrupt specifier.
    private const uint GicSpi = 0;
    private const uint GicPpi = 1;

    // include/dt-bindings/interrupt-controller/irq.h.
    private const uint IrqTypeLevelHigh = 4;
    private const uint IrqTypeLevelLow = 8;

    // bindings/timer/arm,arch_timer.yaml: the PPIs in order secure, non-secure, virtual and
    // hypervisor physical timer; the numbers are the ones the Arm Base System Architecture
    // recommends and KVM's vtimer/ptimer default to. Level-low, as Linux's own arm64 DTs for
    // virtual platforms (and kvmtool's) describe the timers.
    private const uint SecurePhysicalTimerPpi = 13;
    private const uint NonSecurePhysicalTimerPpi = 14;
    private const uint VirtualTimerPpi = 11;
    private const uint HypervisorTimerPpi = 10;

    // arm,gic-v3.yaml: the virtual CPU interface's maintenance interrupt, PPI 9 (INTID 25).
    private const uint GicMaintenancePpi = 9;

    // bindings/arm/cpus.yaml: reg holds MPIDR_EL1 Aff3 (bits 39:32) and Aff2-Aff0 (bits 23:0).
    private const ulong MpidrAffinityMask = 0xff_00ff_ffff;
    private const uint MaxSpi = 987;

    // IEEE 1275 PCI bus binding §2.2.1.1: phys.hi's space code (bits 24-25) and prefetchable bit
    // (30); phys.hi's device number is bits 11-15.
    private const uint PciSpaceIo = 0x0100_0000;
    private const uint PciSpaceMemory32 = 0x0200_0000;
    private const uint PciSpaceMemory64 = 0x0300_0000;
    private const uint PciPrefetchable = 0x4000_0000;
    private const int PciDeviceShift = 11;

    // Every requester ID of a PCI segment (bus, device, function: 16 bits).
    private const uint RequesterIds = 0x1_0000;

    // include/uapi/linux/input-event-codes.h: KEY_POWER, the code busybox acpid and systemd-logind
    // take as the power button; include/dt-bindings/gpio/gpio.h: GPIO_ACTIVE_HIGH.
    private const uint KeyPower = 116;
    private const uint GpioActiveHigh = 0;

    // The PL061's APB clock: nothing in the model runs on it, but the AMBA bus needs a clock to
    // probe a PrimeCell; 24 MHz as on QEMU's virt.
    private const uint ApbClockHz = 24_000_000;

    /// <summary>The blob for <paramref name="platform"/>, at most
    /// <see cref="Arm64Image.MaxDeviceTreeSize"/> bytes; an <see cref="ArgumentException"/> for a
    /// description no machine can have (no CPUs, two with one MPIDR, an initrd outside RAM).</summary>
    public static byte[] Build(Arm64PlatformDescription platform)
    {
        ArgumentNullException.ThrowIfNull(platform);
        Validate(platform);
        ulong[] cpuRegs = [.. platform.CpuMpidrs.Select(m => m & MpidrAffinityMask)];
        // One cell is enough while no vCPU has an Aff3; cpus.yaml allows either.
        uint cpuAddressCells = cpuRegs.Any(r => r > uint.MaxValue) ? 2u : 1u;

        var fdt = new FdtWriter { BootCpuId = (uint)cpuRegs[0] };
        uint gic = fdt.AllocatePhandle();
        uint? its = platform.GicItsBase is null ? null : fdt.AllocatePhandle();
        // After the GIC's and the ITS's, so theirs stay what they were before the GPIO existed.
        (uint Clock, uint Controller)? gpio = platform.Gpio is null ? null : (fdt.AllocatePhandle(), fdt.AllocatePhandle());
        // The ITS is a child of the GIC with a reg of its own, so the GIC then has addresses; an
        // interrupt-map entry's parent unit address has that many cells.
        uint gicAddressCells = its is null ? 0u : 2u;
        string uartNode = $"serial@{platform.UartBase.Value:x}";

        using (fdt.BeginNode(""))
        {
            fdt.PropertyString("compatible", "linux,dummy-virt");
            fdt.PropertyU32("#address-cells", 2);
            fdt.PropertyU32("#size-cells", 2);
            fdt.PropertyU32("interrupt-parent", gic);

            using (fdt.BeginNode("cpus"))
            {
                fdt.PropertyU32("#address-cells", cpuAddressCells);
                fdt.PropertyU32("#size-cells", 0);
                foreach (ulong reg in cpuRegs)
                {
                    using (fdt.BeginNode($"cpu@{reg:x}"))
                    {
                        fdt.PropertyString("device_type", "cpu");
                        fdt.PropertyString("compatible", "arm,arm-v8");
                        // bindings/arm/cpus.yaml: arm64 secondaries are brought up by PSCI CPU_ON.
                        fdt.PropertyString("enable-method", "psci");
                        if (cpuAddressCells == 2)
                        {
                            fdt.PropertyU64("reg", reg);
                        }
                        else
                        {
                            fdt.PropertyU32("reg", (uint)reg);
                        }
                    }
                }
            }

            using (fdt.BeginNode($"memory@{platform.RamBase.Value:x}"))
            {
                fdt.PropertyString("device_type", "memory");
                fdt.PropertyU64Array("reg", platform.RamBase.Value, platform.RamSize);
            }

            // bindings/chosen.yaml (dt-schema).
            using (fdt.BeginNode("chosen"))
            {
                fdt.PropertyString("bootargs", platform.Bootargs);
                fdt.PropertyString("stdout-path", "/" + uartNode);
                if (platform.InitrdStart is { } start && platform.InitrdEnd is { } end)
                {
                    fdt.PropertyU64("linux,initrd-start", start.Value);
                    fdt.PropertyU64("linux,initrd-end", end.Value);
                }
                if (!platform.RngSeed.IsEmpty)
                {
                    fdt.Property("rng-seed", platform.RngSeed.Span);
                }
            }

            using (fdt.BeginNode($"intc@{platform.GicDistributorBase.Value:x}"))
            {
                fdt.PropertyString("compatible", "arm,gic-v3");
                fdt.PropertyU32("#interrupt-cells", 3);
                // dtc's interrupt_provider check wants the GIC's address cells said even where
                // it has no children (0: no interrupt-map parent addresses).
                fdt.PropertyU32("#address-cells", gicAddressCells);
                if (its is not null)
                {
                    fdt.PropertyU32("#size-cells", 2);
                    fdt.PropertyEmpty("ranges");
                }
                fdt.PropertyEmpty("interrupt-controller");
                // arm,gic-v3.yaml: the distributor, then each redistributor region.
                fdt.PropertyU64Array("reg",
                    platform.GicDistributorBase.Value, platform.GicDistributorSize,
                    platform.GicRedistributorBase.Value, platform.GicRedistributorSize);
                fdt.PropertyCells("interrupts", GicPpi, GicMaintenancePpi, IrqTypeLevelHigh);
                fdt.PropertyU32("phandle", gic);

                // arm,gic-v3-its.yaml: one cell of MSI specifier, the device ID.
                if (its is uint itsPhandle && platform.GicItsBase is { } itsBase)
                {
                    using (fdt.BeginNode($"msi-controller@{itsBase.Value:x}"))
                    {
                        fdt.PropertyString("compatible", "arm,gic-v3-its");
                        fdt.PropertyEmpty("msi-controller");
                        fdt.PropertyU32("#msi-cells", 1);
                        fdt.PropertyU64Array("reg", itsBase.Value, Arm64Platform.GicItsSize);
                        fdt.PropertyU32("phandle", itsPhandle);
                    }
                }
            }

            using (fdt.BeginNode("timer"))
            {
                fdt.PropertyString("compatible", "arm,armv8-timer");
                fdt.PropertyCells("interrupts",
                    GicPpi, SecurePhysicalTimerPpi, IrqTypeLevelLow,
                    GicPpi, NonSecurePhysicalTimerPpi, IrqTypeLevelLow,
                    GicPpi, VirtualTimerPpi, IrqTypeLevelLow,
                    GicPpi, HypervisorTimerPpi, IrqTypeLevelLow);
                // KVM's timers keep counting whatever the vCPU does: no broadcast timer needed.
                fdt.PropertyEmpty("always-on");
            }

            // bindings/arm/psci.yaml: PSCI 1.0 firmware also answers the 0.2 function IDs.
            using (fdt.BeginNode("psci"))
            {
                fdt.PropertyStringList("compatible", "arm,psci-1.0", "arm,psci-0.2");
                fdt.PropertyString("method", "hvc");
            }

            if (platform.Sdei)
            {
                // bindings/arm/firmware/sdei.txt: under /firmware, which Linux populates on its own.
                using (fdt.BeginNode("firmware"))
                {
                    using (fdt.BeginNode("sdei"))
                    {
                        fdt.PropertyString("compatible", "arm,sdei-1.0");
                        fdt.PropertyString("method", "hvc");
                    }
                }
            }

            // bindings/serial/8250.yaml: byte-wide registers one byte apart.
            using (fdt.BeginNode(uartNode))
            {
                fdt.PropertyString("compatible", "ns16550a");
                fdt.PropertyU64Array("reg", platform.UartBase.Value, platform.UartSize);
                fdt.PropertyCells("interrupts", GicSpi, platform.UartSpi, IrqTypeLevelHigh);
                fdt.PropertyU32("clock-frequency", platform.UartClockHz);
                fdt.PropertyU32("reg-shift", 0);
                fdt.PropertyU32("reg-io-width", 1);
            }

            if (platform.Gpio is { } gpioController && gpio is { } gpioPhandles)
            {
                WriteGpio(fdt, gpioController, gpioPhandles.Clock, gpioPhandles.Controller);
            }

            if (platform.Pci is { } pci)
            {
                WritePciHostBridge(fdt, pci, gic, gicAddressCells, its);
            }
        }
        return fdt.Finish(Arm64Image.MaxDeviceTreeSize);
    }

    // The PL061 and its power key. An AMBA PrimeCell is probed only once its "apb_pclk" clock
    // exists (drivers/amba/bus.c), so a fixed 24 MHz clock comes first (bindings/clock/
    // fixed-clock.yaml, named clock-<frequency> as it prefers). bindings/gpio/pl061-gpio.yaml:
    // two GPIO cells (pin, flags), and as an interrupt controller two interrupt cells; dtc's
    // interrupt_provider check wants its #address-cells said, 0 as on the GIC. bindings/input/
    // gpio-keys.yaml: one child per key, named to its key-* pattern, active high, KEY_POWER.
    private static void WriteGpio(FdtWriter fdt, Arm64Gpio gpio, uint clock, uint controller)
    {
        using (fdt.BeginNode($"clock-{ApbClockHz}"))
        {
            fdt.PropertyString("compatible", "fixed-clock");
            fdt.PropertyU32("#clock-cells", 0);
            fdt.PropertyU32("clock-frequency", ApbClockHz);
            fdt.PropertyString("clock-output-names", "clk24mhz");
            fdt.PropertyU32("phandle", clock);
        }

        using (fdt.BeginNode($"gpio@{gpio.Base.Value:x}"))
        {
            fdt.PropertyStringList("compatible", "arm,pl061", "arm,primecell");
            fdt.PropertyU64Array("reg", gpio.Base.Value, gpio.Size);
            fdt.PropertyCells("interrupts", GicSpi, gpio.Spi, IrqTypeLevelHigh);
            fdt.PropertyEmpty("gpio-controller");
            fdt.PropertyU32("#gpio-cells", 2);
            fdt.PropertyEmpty("interrupt-controller");
            fdt.PropertyU32("#interrupt-cells", 2);
            fdt.PropertyU32("#address-cells", 0);
            fdt.PropertyU32("clocks", clock);
            fdt.PropertyString("clock-names", "apb_pclk");
            fdt.PropertyU32("phandle", controller);
        }

        using (fdt.BeginNode("gpio-keys"))
        {
            fdt.PropertyString("compatible", "gpio-keys");
            using (fdt.BeginNode("key-power"))
            {
                fdt.PropertyString("label", "GPIO Key Poweroff");
                fdt.PropertyU32("linux,code", KeyPower);
                fdt.PropertyCells("gpios", controller, (uint)gpio.PowerKeyPin, GpioActiveHigh);
            }
        }
    }

    // bindings/pci/host-generic-pci.yaml and pci-bus-common.yaml (dt-schema): bus 0 only, its
    // windows 1:1, and INTx through an interrupt-map that swizzles the pins by slot as
    // PciRootBus.IntxGsi does. The map's mask keeps the slot's low two bits and the pin, all that
    // the swizzle depends on; the GIC has no #address-cells, so no parent unit address follows
    // its phandle. dma-coherent: a KVM guest's RAM is cacheable host memory, so device DMA
    // needs no cache maintenance. With an ITS, msi-map (pci-msi.yaml) sends every requester ID
    // 0-0xFFFF to it as the same device ID, the ID Vireo's MSI routes carry.
    private static void WritePciHostBridge(FdtWriter fdt, Arm64PciHostBridge pci, uint gic, uint gicAddressCells, uint? its)
    {
        Devices.PciRootBusLayout bus = pci.Bus;
        using (fdt.BeginNode($"pci@{bus.EcamBase.Value:x}"))
        {
            fdt.PropertyString("compatible", "pci-host-ecam-generic");
            fdt.PropertyString("device_type", "pci");
            fdt.PropertyU32("#address-cells", 3);
            fdt.PropertyU32("#size-cells", 2);
            fdt.PropertyU32("#interrupt-cells", 1);
            fdt.PropertyU64Array("reg", bus.EcamBase.Value, Devices.PciRootBus.EcamSize);
            fdt.PropertyCells("bus-range", 0, 0);
            fdt.PropertyU32("linux,pci-domain", 0);
            fdt.PropertyEmpty("dma-coherent");
            fdt.PropertyCells("ranges",
                [.. Range(PciSpaceIo, 0, pci.IoSpace.Value, pci.IoSpaceSize),
                 .. Range(PciSpaceMemory32, bus.Memory32Base.Value, bus.Memory32Base.Value, bus.Memory32Size),
                 .. Range(PciSpaceMemory64 | PciPrefetchable, bus.Memory64Base.Value, bus.Memory64Base.Value, bus.Memory64Size)]);
            fdt.PropertyCells("interrupt-map-mask", 3u << PciDeviceShift, 0, 0, 7);
            var map = new List<uint>();
            for (uint slot = 0; slot < 4; slot++)
            {
                for (uint pin = 0; pin < 4; pin++)
                {
                    // Child: phys.hi/mid/lo and the pin (1 for INTA#); parent: the GIC, its unit
                    // address (zeros, as many cells as the GIC's #address-cells) and the SPI.
                    map.AddRange([slot << PciDeviceShift, 0, 0, pin + 1, gic]);
                    map.AddRange(Enumerable.Repeat(0u, (int)gicAddressCells));
                    map.AddRange([GicSpi, bus.IntxGsis[(int)((slot + pin) % 4)], IrqTypeLevelHigh]);
                }
            }
            fdt.PropertyCells("interrupt-map", [.. map]);
            if (its is uint itsPhandle)
            {
                fdt.PropertyCells("msi-map", 0, itsPhandle, 0, RequesterIds);
            }
        }
    }

    // One ranges entry: the PCI address (3 cells), the CPU address (2) and the size (2).
    private static uint[] Range(uint space, ulong pciAddress, ulong cpuAddress, ulong size) =>
        [space, (uint)(pciAddress >> 32), (uint)pciAddress, (uint)(cpuAddress >> 32), (uint)cpuAddress, (uint)(size >> 32), (uint)size];

    private static void Validate(Arm64PlatformDescription platform)
    {
        if (platform.CpuMpidrs.Count == 0)
        {
            throw new ArgumentException("an arm64 machine needs at least one vCPU", nameof(platform));
        }
        if (platform.CpuMpidrs.Select(m => m & MpidrAffinityMask).Distinct().Count() != platform.CpuMpidrs.Count)
        {
            throw new ArgumentException("two vCPUs share one MPIDR affinity", nameof(platform));
        }
        if (platform.RamSize == 0 || platform.RamBase.TryAdd(platform.RamSize) is null)
        {
            throw new ArgumentException($"RAM at {platform.RamBase} of 0x{platform.RamSize:x} bytes is empty or wraps", nameof(platform));
        }
        if (platform.UartSpi > MaxSpi)
        {
            throw new ArgumentException($"SPI {platform.UartSpi} is past the last SPI ({MaxSpi})", nameof(platform));
        }
        if (platform.Gpio is { } gpio && (gpio.Spi > MaxSpi || gpio.Spi == platform.UartSpi || gpio.PowerKeyPin is < 0 or >= Devices.Pl061Gpio.Pins))
        {
            throw new ArgumentException($"the GPIO controller needs an SPI of its own (at most {MaxSpi}) and its power key one of pins 0-{Devices.Pl061Gpio.Pins - 1}", nameof(platform));
        }
        if (platform.Pci is { } pci && (pci.Bus.IntxGsis.Count != 4 || pci.Bus.IntxGsis.Any(spi => spi > MaxSpi)))
        {
            throw new ArgumentException("the PCI host bridge needs four SPIs for INTA#-INTD#, each at most " + MaxSpi, nameof(platform));
        }
        if (platform.InitrdStart.HasValue != platform.InitrdEnd.HasValue)
        {
            throw new ArgumentException("the initrd needs both a start and an end", nameof(platform));
        }
        if (platform.InitrdStart is { } start && platform.InitrdEnd is { } end)
        {
            ulong ramEnd = platform.RamBase.Value + platform.RamSize;
            if (end.Value < start.Value || start.Value < platform.RamBase.Value || end.Value > ramEnd)
            {
                throw new ArgumentException($"the initrd [{start}, {end}) is not inside RAM", nameof(platform));
            }
        }
    }
}
