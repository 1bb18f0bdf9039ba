using Vireo.Memory;
using Vireo.TestSupport;
using Vireo.Vmm.Arm64;

namespace Vireo.Vmm.Tests.Arm64;

public sealed class Arm64DeviceTreeTests
{
    // The arm64 machine's layout (Arm64Platform: RAM at 1 GiB, GICD at 128 MiB, one 128 KiB
    // redistributor pair per vCPU from 0x080a0000, the 16550 at 0x09000000 on SPI 1), as the
    // machine builder will describe it.
    private static Arm64PlatformDescription Platform(int cpus, bool sdei = true, bool initrd = true) => new()
    {
        RamBase = Arm64Platform.RamBase,
        RamSize = 512 << 20,
        CpuMpidrs = [.. Enumerable.Range(0, cpus).Select(i => 0x8000_0000UL | (ulong)i)],
        GicDistributorBase = Arm64Platform.GicDistributor,
        GicDistributorSize = Arm64Platform.GicDistributorSize,
        GicRedistributorBase = Arm64Platform.GicRedistributors,
        GicRedistributorSize = Arm64Platform.GicRedistributorSize(cpus),
        UartBase = Arm64Platform.Uart,
        UartSize = Arm64Platform.UartSize,
        UartSpi = Arm64Platform.UartSpi,
        UartClockHz = Arm64Platform.UartClockHz,
        Bootargs = "console=ttyS0 earlycon panic=-1",
        InitrdStart = initrd ? new GuestAddress(0x5f00_0000) : null,
        InitrdEnd = initrd ? new GuestAddress(0x5f12_3456) : null,
        RngSeed = new byte[] { 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4 },
        Sdei = sdei,
    };

    private const string TwoCpus = """
        /dts-v1/;

        / {
        	compatible = "linux,dummy-virt";
        	#address-cells = <0x02>;
        	#size-cells = <0x02>;
        	interrupt-parent = <0x01>;

        	cpus {
        		#address-cells = <0x01>;
        		#size-cells = <0x00>;

        		cpu@0 {
        			device_type = "cpu";
        			compatible = "arm,arm-v8";
        			enable-method = "psci";
        			reg = <0x00>;
        		};

        		cpu@1 {
        			device_type = "cpu";
        			compatible = "arm,arm-v8";
        			enable-method = "psci";
        			reg = <0x01>;
        		};
        	};

        	memory@40000000 {
        		device_type = "memory";
        		reg = <0x00 0x40000000 0x00 0x20000000>;
        	};

        	chosen {
        		bootargs = "console=ttyS0 earlycon panic=-1";
        		stdout-path = "/serial@9000000";
        		linux,initrd-start = <0x00 0x5f000000>;
        		linux,initrd-end = <0x00 0x5f123456>;
        		rng-seed = <0xdeadbeef 0x1020304>;
        	};

        	intc@8000000 {
        		compatible = "arm,gic-v3";
        		#interrupt-cells = <0x03>;
        		#address-cells = <0x00>;
        		interrupt-controller;
        		reg = <0x00 0x8000000 0x00 0x10000 0x00 0x80a0000 0x00 0x40000>;
        		interrupts = <0x01 0x09 0x04>;
        		phandle = <0x01>;
        	};

        	timer {
        		compatible = "arm,armv8-timer";
        		interrupts = <0x01 0x0d 0x08 0x01 0x0e 0x08 0x01 0x0b 0x08 0x01 0x0a 0x08>;
        		always-on;
        	};

        	psci {
        		compatible = "arm,psci-1.0\0arm,psci-0.2";
        		method = "hvc";
        	};

        	firmware {

        		sdei {
        			compatible = "arm,sdei-1.0";
        			method = "hvc";
        		};
        	};

        	serial@9000000 {
        		compatible = "ns16550a";
        		reg = <0x00 0x9000000 0x00 0x1000>;
        		interrupts = <0x00 0x01 0x04>;
        		clock-frequency = <0x1c2000>;
        		reg-shift = <0x00>;
        		reg-io-width = <0x01>;
        	};
        };

        """;

    [DtcFact]
    public void TwoCpuTreeDecodesAsExpected()
    {
        Dtc.Result decoded = Dtc.Decompile(Arm64DeviceTree.Build(Platform(2)));
        Assert.Equal(TwoCpus, decoded.Text);
        Assert.Equal("", decoded.Errors);
    }

    [DtcFact]
    public void OneCpuTreeWithoutInitrdOrSdeiDecodesAsExpected()
    {
        string expected = TwoCpus
            .Replace("""


        		cpu@1 {
        			device_type = "cpu";
        			compatible = "arm,arm-v8";
        			enable-method = "psci";
        			reg = <0x01>;
        		};
        """, "", StringComparison.Ordinal)
            .Replace("""
        		linux,initrd-start = <0x00 0x5f000000>;
        		linux,initrd-end = <0x00 0x5f123456>;

        """, "", StringComparison.Ordinal)
            .Replace("""
        	firmware {

        		sdei {
        			compatible = "arm,sdei-1.0";
        			method = "hvc";
        		};
        	};


        """, "", StringComparison.Ordinal)
            .Replace("0x80a0000 0x00 0x40000", "0x80a0000 0x00 0x20000", StringComparison.Ordinal);
        Dtc.Result decoded = Dtc.Decompile(Arm64DeviceTree.Build(Platform(1, sdei: false, initrd: false)));
        Assert.Equal(expected, decoded.Text);
        Assert.Equal("", decoded.Errors);
    }

    [DtcFact]
    public void ThePciHostBridgeIsAGenericEcamNodeWhoseInterruptMapSwizzlesIntxOntoFourSpis()
    {
        // The machine's own bridge (Arm64Platform): the addresses and SPIs below are written by hand.
        Arm64PlatformDescription platform = Platform(1) with { Pci = Arm64Platform.PciHostBridge };
        // Slot s pin p (INTA# = 1) -> SPI of (s + p - 1) mod 4, written out by hand for slots 0-3
        // (the mask keeps two bits of the slot number, so slot 4 maps as slot 0).
        uint[][] spis = [[4, 5, 6, 7], [5, 6, 7, 4], [6, 7, 4, 5], [7, 4, 5, 6]];
        string map = string.Join(' ', Enumerable.Range(0, 4).SelectMany(slot => Enumerable.Range(0, 4).Select(pin =>
            $"0x{(slot << 11):x2} 0x00 0x00 0x{pin + 1:x2} 0x01 0x00 0x{spis[slot][pin]:x2} 0x04")));
        string expected = $$"""
            	pci@10000000 {
            		compatible = "pci-host-ecam-generic";
            		device_type = "pci";
            		#address-cells = <0x03>;
            		#size-cells = <0x02>;
            		#interrupt-cells = <0x01>;
            		reg = <0x00 0x10000000 0x00 0x100000>;
            		bus-range = <0x00 0x00>;
            		linux,pci-domain = <0x00>;
            		dma-coherent;
            		ranges = <0x1000000 0x00 0x00 0x00 0x11000000 0x00 0x10000 0x2000000 0x00 0x20000000 0x00 0x20000000 0x00 0x20000000 0x43000000 0x40 0x00 0x40 0x00 0x08 0x00>;
            		interrupt-map-mask = <0x1800 0x00 0x00 0x07>;
            		interrupt-map = <{{map}}>;
            	};
            };
            """;

        Dtc.Result decoded = Dtc.Decompile(Arm64DeviceTree.Build(platform));
        Assert.Equal("", decoded.Errors);
        Assert.EndsWith(expected + "\n", decoded.Text, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Arm64DeviceTree.Build(platform with { Pci = platform.Pci! with { Bus = platform.Pci.Bus with { IntxGsis = [4, 5, 6] } } }));
        Assert.Throws<ArgumentException>(() => Arm64DeviceTree.Build(platform with { Pci = platform.Pci! with { Bus = platform.Pci.Bus with { IntxGsis = [4, 5, 6, 988] } } }));
    }

    [DtcFact]
    public void WithAnItsTheGicHasItAsAChildAndTheBridgeSendsEveryRequesterIdToItAsItsDeviceId()
    {
        // The machine's own addresses (Arm64Platform), written by hand: the ITS's two 64 KiB
        // frames at 0x08080000, between the distributor and the redistributors.
        Arm64PlatformDescription platform = Platform(1) with { Pci = Arm64Platform.PciHostBridge, GicItsBase = Arm64Platform.GicIts };
        const string gic = """
            	intc@8000000 {
            		compatible = "arm,gic-v3";
            		#interrupt-cells = <0x03>;
            		#address-cells = <0x02>;
            		#size-cells = <0x02>;
            		ranges;
            		interrupt-controller;
            		reg = <0x00 0x8000000 0x00 0x10000 0x00 0x80a0000 0x00 0x20000>;
            		interrupts = <0x01 0x09 0x04>;
            		phandle = <0x01>;

            		msi-controller@8080000 {
            			compatible = "arm,gic-v3-its";
            			msi-controller;
            			#msi-cells = <0x01>;
            			reg = <0x00 0x8080000 0x00 0x20000>;
            			phandle = <0x02>;
            		};
            	};
            """;
        // The GIC now has two address cells, so each interrupt-map entry carries a two-cell
        // (zero) parent unit address between the GIC's phandle and the SPI.
        uint[][] spis = [[4, 5, 6, 7], [5, 6, 7, 4], [6, 7, 4, 5], [7, 4, 5, 6]];
        string map = string.Join(' ', Enumerable.Range(0, 4).SelectMany(slot => Enumerable.Range(0, 4).Select(pin =>
            $"0x{(slot << 11):x2} 0x00 0x00 0x{pin + 1:x2} 0x01 0x00 0x00 0x00 0x{spis[slot][pin]:x2} 0x04")));
        string bridgeEnd = $$"""
            		interrupt-map = <{{map}}>;
            		msi-map = <0x00 0x02 0x00 0x10000>;
            	};
            };
            """;

        Dtc.Result decoded = Dtc.Decompile(Arm64DeviceTree.Build(platform));
        Assert.Equal("", decoded.Errors);
        Assert.Contains(gic, decoded.Text, StringComparison.Ordinal);
        Assert.EndsWith(bridgeEnd + "\n", decoded.Text, StringComparison.Ordinal);

        // Without an ITS (a machine with no PCI functions): no child, no msi-map, no unit address.
        string without = Dtc.Decompile(Arm64DeviceTree.Build(platform with { GicItsBase = null })).Text;
        Assert.DoesNotContain("msi", without, StringComparison.Ordinal);
        Assert.Contains("#address-cells = <0x00>;", without, StringComparison.Ordinal);
    }

    [DtcFact]
    public void TheGpioControllerIsAPl061WithItsClockAndAPowerKeyOnPinThree()
    {
        // The machine's own GPIO (Arm64Platform), written by hand: the PL061 at 0x09030000 on
        // SPI 2, its 24 MHz apb_pclk, and gpio-keys' KEY_POWER (116) on pin 3, active high. The
        // GIC keeps phandle 1; the clock and the controller take the next ones.
        Arm64PlatformDescription platform = Platform(1) with { Gpio = Arm64Platform.GpioDescription };
        const string gpio = """
            	serial@9000000 {
            		compatible = "ns16550a";
            		reg = <0x00 0x9000000 0x00 0x1000>;
            		interrupts = <0x00 0x01 0x04>;
            		clock-frequency = <0x1c2000>;
            		reg-shift = <0x00>;
            		reg-io-width = <0x01>;
            	};

            	clock-24000000 {
            		compatible = "fixed-clock";
            		#clock-cells = <0x00>;
            		clock-frequency = <0x16e3600>;
            		clock-output-names = "clk24mhz";
            		phandle = <0x02>;
            	};

            	gpio@9030000 {
            		compatible = "arm,pl061\0arm,primecell";
            		reg = <0x00 0x9030000 0x00 0x1000>;
            		interrupts = <0x00 0x02 0x04>;
            		gpio-controller;
            		#gpio-cells = <0x02>;
            		interrupt-controller;
            		#interrupt-cells = <0x02>;
            		#address-cells = <0x00>;
            		clocks = <0x02>;
            		clock-names = "apb_pclk";
            		phandle = <0x03>;
            	};

            	gpio-keys {
            		compatible = "gpio-keys";

            		key-power {
            			label = "GPIO Key Poweroff";
            			linux,code = <0x74>;
            			gpios = <0x03 0x03 0x00>;
            		};
            	};
            };

            """;

        Dtc.Result decoded = Dtc.Decompile(Arm64DeviceTree.Build(platform));
        Assert.Equal("", decoded.Errors);
        Assert.EndsWith(gpio, decoded.Text, StringComparison.Ordinal);
        // Everything before it is the machine without a GPIO controller, unchanged.
        Assert.Equal(Dtc.Decompile(Arm64DeviceTree.Build(Platform(1))).Text.Replace("\n};\n", "", StringComparison.Ordinal),
            decoded.Text[..decoded.Text.IndexOf("\n\n\tclock-24000000", StringComparison.Ordinal)]);

        // With an ITS (phandle 2) the GPIO's phandles move up by one, and the key follows.
        string withIts = Dtc.Decompile(Arm64DeviceTree.Build(platform with { GicItsBase = Arm64Platform.GicIts, Pci = Arm64Platform.PciHostBridge })).Text;
        Assert.Contains("clocks = <0x03>;", withIts, StringComparison.Ordinal);
        Assert.Contains("gpios = <0x04 0x03 0x00>;", withIts, StringComparison.Ordinal);
        Assert.Contains("msi-map = <0x00 0x02 0x00 0x10000>;", withIts, StringComparison.Ordinal);

        Assert.Throws<ArgumentException>(() => Arm64DeviceTree.Build(platform with { Gpio = platform.Gpio! with { Spi = Arm64Platform.UartSpi } }));
        Assert.Throws<ArgumentException>(() => Arm64DeviceTree.Build(platform with { Gpio = platform.Gpio! with { Spi = 988 } }));
        Assert.Throws<ArgumentException>(() => Arm64DeviceTree.Build(platform with { Gpio = platform.Gpio! with { PowerKeyPin = 8 } }));
    }

    [DtcFact]
    public void CpuWithAff3GetsTwoAddressCells()
    {
        // MPIDR: Aff3 1, U bit 30 and RES1 bit 31 set (not part of reg), Aff1 1.
        Arm64PlatformDescription platform = Platform(1) with { CpuMpidrs = [0x01_c000_0100, 0x0_8000_0000] };
        Dtc.Result decoded = Dtc.Decompile(Arm64DeviceTree.Build(platform));
        Assert.Equal("", decoded.Errors);
        string text = decoded.Text;
        Assert.Contains("""
            	cpus {
            		#address-cells = <0x02>;
            		#size-cells = <0x00>;

            		cpu@100000100 {
            			device_type = "cpu";
            			compatible = "arm,arm-v8";
            			enable-method = "psci";
            			reg = <0x01 0x100>;
            		};

            		cpu@0 {
            """, text, StringComparison.Ordinal);
    }

    [Fact]
    public void HeaderNamesTheFirstCpuAsTheBootCpu()
    {
        byte[] blob = Arm64DeviceTree.Build(Platform(2) with { CpuMpidrs = [0x8000_0102, 0x8000_0000] });
        Assert.Equal(0x102u, System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(blob.AsSpan(28)));
    }

    [Fact]
    public void TreeFitsTheBootProtocolsLimit()
    {
        Assert.InRange(Arm64DeviceTree.Build(Platform(2)).Length, 1, Vireo.Loader.Arm64Image.MaxDeviceTreeSize);
    }

    [Fact]
    public void ImpossibleDescriptionsAreRefused()
    {
        Assert.Throws<ArgumentException>(() => Arm64DeviceTree.Build(Platform(1) with { CpuMpidrs = [] }));
        Assert.Throws<ArgumentException>(() => Arm64DeviceTree.Build(Platform(1) with { CpuMpidrs = [0x8000_0000, 0x0] }));
        Assert.Throws<ArgumentException>(() => Arm64DeviceTree.Build(Platform(1) with { UartSpi = 988 }));
        Assert.Throws<ArgumentException>(() => Arm64DeviceTree.Build(Platform(1) with { RamSize = 0 }));
        Assert.Throws<ArgumentException>(() => Arm64DeviceTree.Build(Platform(1) with { InitrdEnd = null }));
        Assert.Throws<ArgumentException>(() => Arm64DeviceTree.Build(Platform(1) with { InitrdEnd = new GuestAddress(0x6000_0001) }));
        Assert.Throws<ArgumentException>(() => Arm64DeviceTree.Build(Platform(1) with { InitrdStart = new GuestAddress(0x3fff_f000) }));
        Assert.Throws<ArgumentException>(() => Arm64DeviceTree.Build(Platform(1) with { InitrdStart = new GuestAddress(0x5f20_0000) }));
    }
}
