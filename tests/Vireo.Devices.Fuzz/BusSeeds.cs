using Vireo.Pci;

namespace Vireo.Devices.Fuzz;

/// <summary>Well-formed starting points for <see cref="BusTarget"/>: what a guest's drivers do
/// with each device (Linux's, where it matters), so afl begins inside the devices' protocols and
/// mutates from there.</summary>
public static class BusSeeds
{
    private const ushort Com1 = 0x3f8;
    private const ushort Pm = 0x600;
    private const ushort ConfigAddress = 0xcf8, ConfigData = 0xcfc;
    private const ulong Ecam = 0xe000_0000;

    /// <summary>Every seed, in corpus order.</summary>
    public static IEnumerable<BusSeed> All()
    {
        yield return SerialTransmit();
        yield return SerialReceive();
        yield return CmosReads();
        yield return KeyboardControllerReset();
        yield return Pm1EnableStatusAndPowerOff();
        yield return GpeEnableAndClear();
        yield return PciScanThroughConfigPorts();
        yield return PciScanThroughEcam();
        yield return BarSizing();
        yield return MsixTableAndSignal();
        yield return BarRegisters();
        yield return LowPowerIdleDsm();
        yield return SlotPowerAndEject();
        yield return QuietPorts();
        yield return BarCollision();
        yield return GpioPowerKeyPressAndRelease();
    }

    // Linux's 8250 probe and console setup: scratch test, divisor latch 115200 8n1, FIFOs on,
    // THRE interrupt with OUT2 (the IRQ gate), then a line out and the status polled.
    private static BusSeed SerialTransmit()
    {
        using var b = new BusInputBuilder();
        b.Out(Com1 + 7, 1, 0xa5).In(Com1 + 7)
            .Out(Com1 + 3, 1, 0x80).Out(Com1 + 0, 1, 0x01).Out(Com1 + 1, 1, 0x00).Out(Com1 + 3, 1, 0x03)
            .Out(Com1 + 2, 1, 0xc7).Out(Com1 + 4, 1, 0x0b).Out(Com1 + 1, 1, 0x02)
            .In(Com1 + 2).In(Com1 + 5);
        foreach (byte c in "hi\n"u8)
        {
            b.In(Com1 + 5).Out(Com1, 1, c);
        }
        b.In(Com1 + 2).In(Com1 + 5).In(Com1 + 6);
        return new("serial-transmit.bin", b.Build(), "COM1 (8250)", "3 bytes out of COM1 and its IRQ raised", r => r.SerialOutput == 3 && r.Com1Edges > 0);
    }

    // Host input with the receive interrupt enabled: IIR says data, LSR DR, RBR drained.
    private static BusSeed SerialReceive()
    {
        using var b = new BusInputBuilder();
        b.Out(Com1 + 3, 1, 0x03).Out(Com1 + 2, 1, 0x01).Out(Com1 + 4, 1, 0x0b).Out(Com1 + 1, 1, 0x01)
            .Host(BusHostEvent.SerialInput, 0x41).In(Com1 + 2).In(Com1 + 5)
            .In(Com1).In(Com1).In(Com1 + 5).In(Com1 + 2);
        return new("serial-receive.bin", b.Build(), "COM1 (8250)", "the receive interrupt raised", r => r.Com1Edges > 0);
    }

    // The RTC's time, date, status registers A-D and the memory sizes, index then data; with NMI
    // disabled (bit 7) for a few, as Linux's mc146818 code does.
    private static BusSeed CmosReads()
    {
        using var b = new BusInputBuilder();
        foreach (byte index in (byte[])[0x00, 0x02, 0x04, 0x06, 0x07, 0x08, 0x09, 0x32, 0x8a, 0x8b, 0x0c, 0x0d, 0x15, 0x16, 0x17, 0x18, 0x30, 0x31, 0x34, 0x35, 0x5b, 0x5c, 0x5d])
        {
            b.Out(0x70, 1, index).In(0x71);
        }
        b.Out(0x70, 1, 0x0b).Out(0x71, 1, 0x02).Out(0x70, 1, 0x0e).Out(0x71, 1, 0x5a).In(0x71);
        return new("cmos-read.bin", b.Build(), "CMOS RTC", "every index and data access handled", r => r.ByDevice.GetValueOrDefault("CMOS RTC") == (2 * 23) + 5);
    }

    // The i8042 as Linux's i8042 driver probes it: controller self test, command byte read and
    // written, keyboard interrupt on, a keyboard command, then the reboot pulse (0xFE).
    private static BusSeed KeyboardControllerReset()
    {
        using var b = new BusInputBuilder();
        b.In(0x64).Out(0x64, 1, 0xaa).In(0x64).In(0x60)
            .Out(0x64, 1, 0x20).In(0x60).Out(0x64, 1, 0x60).Out(0x60, 1, 0x47)
            .Out(0x64, 1, 0xae).Out(0x60, 1, 0xf4).In(0x64).In(0x60)
            .Out(0x64, 1, 0xfe);
        return new("i8042-reset.bin", b.Build(), "i8042 command", "the keyboard IRQ raised and the reset requested", r => r.Resets == 1 && r.KeyboardEdges > 0);
    }

    // PM1: power button and timer enabled, the button pressed (SCI), the status cleared, the PM
    // timer read across its bit-23 carry (the alarm), then S5 through SLP_TYP/SLP_EN.
    private static BusSeed Pm1EnableStatusAndPowerOff()
    {
        using var b = new BusInputBuilder();
        b.In(Pm + 4, 2).Out(Pm + 2, 2, 0x0121).Host(BusHostEvent.PowerButton).In(Pm, 2).Out(Pm, 2, 0x0100).In(Pm, 2)
            .In(Pm + 8, 4).Time(3000).In(Pm, 2).In(Pm + 8, 4).Out(Pm, 2, 0x0001).Out(Pm + 2, 2, 0)
            .Out(Pm + 4, 2, (7 << 10) | (1 << 13));
        return new("pm1-enable-status.bin", b.Build(), "ACPI PM (PM1, PM timer, GPE0)", "the SCI raised, a timer alarm fired and S5 requested", r => r.SciEdges >= 2 && r.AlarmsFired > 0 && r.PowerOffs == 1);
    }

    // GPE0: an enable byte written, a GPE raised by the host (SCI), its status read and cleared
    // byte-wise and word-wise.
    private static BusSeed GpeEnableAndClear()
    {
        using var b = new BusInputBuilder();
        b.Out(Pm + 0x28, 1, 0x09).Out(Pm + 0x2a, 2, 0x0001).Host(BusHostEvent.RaiseGpe, 3).In(Pm + 0x20, 4).Out(Pm + 0x20, 1, 0x08)
            .Host(BusHostEvent.RaiseGpe, 16).In(Pm + 0x22, 1).Out(Pm + 0x22, 2, 0x0001).In(Pm + 0x20, 4).In(Pm + 0x28, 4);
        return new("gpe-enable-clear.bin", b.Build(), "ACPI PM (PM1, PM timer, GPE0)", "the SCI raised twice", r => r.SciEdges == 2 && !r.SciLevel);
    }

    // Config mechanism #1 as Linux's pci_direct probe and bus scan do: CONFIG_ADDRESS written and
    // read back, then the Vendor/Device ID of every slot, and the function's header read out.
    private static BusSeed PciScanThroughConfigPorts()
    {
        using var b = new BusInputBuilder();
        b.Out(0xcfb, 1, 0x01).Out(ConfigAddress, 4, 0x8000_0000).In(ConfigAddress, 4);
        for (uint slot = 0; slot < 32; slot++)
        {
            b.Out(ConfigAddress, 4, 0x8000_0000 | (slot << 11)).In(ConfigData, 4);
        }
        int function = b.Machine.Slot;
        for (uint register = 0; register < 0x40; register += 4)
        {
            b.Out(ConfigAddress, 4, 0x8000_0000 | ((uint)function << 11) | register).In(ConfigData, 4);
        }
        b.Out(ConfigAddress, 4, 0x8000_0000 | ((uint)function << 11) | 0x0c).In(ConfigData + 2, 1).In(ConfigData + 2, 2);
        return new("pci-scan-cf8.bin", b.Build(), "PCI config ports (CONFIG_ADDRESS/CONFIG_DATA)", "the function's config space read", r => r.FunctionConfigAccesses >= 12);
    }

    // The same scan through ECAM, with the capability list walked and the extended space probed.
    private static BusSeed PciScanThroughEcam()
    {
        using var b = new BusInputBuilder(flags: BusShape.ExtendedConfig);
        for (ulong slot = 0; slot < 32; slot++)
        {
            b.Read(Ecam + (slot << 15), 4);
        }
        ulong f = Ecam + ((ulong)b.Machine.Slot << 15);
        b.Read(f + 0x08, 4).Read(f + 0x0e, 1).Read(f + 0x34, 1);
        foreach (ulong cap in (ulong[])[0x40, 0x48, 0x60])
        {
            b.Read(f + cap, 2).Read(f + cap + 2, 2).Read(f + cap + 4, 4);
        }
        b.Read(f + 0x100, 4).Read(f + 0xffc, 4).Read(f + (1 << 12), 4);
        return new("pci-scan-ecam.bin", b.Build(), "PCI ECAM (bus 0)", "the function's config space and capabilities read", r => r.FunctionConfigAccesses >= 15);
    }

    // Linux's __pci_read_base: decoding off, each BAR written all-ones and read back for its size,
    // the original put back (both halves of the 64-bit BAR), decoding on again.
    private static BusSeed BarSizing()
    {
        using var b = new BusInputBuilder();
        ulong f = Ecam + ((ulong)b.Machine.Slot << 15);
        b.Read(f + 0x04, 2).Write(f + 0x04, 2, 0x0000);
        foreach (ulong bar in (ulong[])[0x10, 0x18, 0x1c, 0x20])
        {
            b.Read(f + bar, 4).Write(f + bar, 4, 0xffff_ffff).Read(f + bar, 4);
        }
        b.Write(f + 0x10, 4, b.Machine.Pci.BarAddress(b.Machine.Slot, 0)!.Value);
        ulong bar2 = b.Machine.Pci.BarAddress(b.Machine.Slot, 2)!.Value;
        b.Write(f + 0x18, 4, (bar2 & 0xffff_ffff) | 0xc).Write(f + 0x1c, 4, bar2 >> 32);
        b.Write(f + 0x20, 4, b.Machine.Pci.BarAddress(b.Machine.Slot, 4)!.Value | 1);
        b.Write(f + 0x04, 2, 0x0007).Read(f + 0x10, 4).Read(f + 0x18, 8);
        return new("bar-sizing.bin", b.Build(), "PCI ECAM (bus 0)", "the memory BARs taken off and put back", r => r.FunctionPlacements >= 6);
    }

    // MSI-X as a driver sets it up: bus master on, the table's entry 0 programmed and unmasked,
    // Enable with Function Mask, then unmasked; the device signals while masked (pending bit in
    // the PBA) and after.
    private static BusSeed MsixTableAndSignal()
    {
        using var b = new BusInputBuilder(vectors: 3);
        ulong f = Ecam + ((ulong)b.Machine.Slot << 15);
        ulong table = b.Machine.Pci.BarAddress(b.Machine.Slot, 0)!.Value;
        ulong control = f + (ulong)b.Machine.Function.MsixCapability + 2;
        b.Write(f + 0x04, 2, 0x0006).Read(control, 2).Write(control, 2, 0xc000)
            .Write(table, 8, 0xfee0_0000).Write(table + 8, 4, 0x4041).Write(table + 12, 4, 0)
            .Write(table + 16, 4, 0xfee0_1000).Write(table + 20, 4, 0).Write(table + 24, 4, 0x4042).Read(table + 16, 8)
            .Host(BusHostEvent.MsixSignal, 0).Host(BusHostEvent.MsixSignal, 1).Read(table + FuzzPciFunction.PbaOffset, 8)
            .Write(control, 2, 0x8000).Read(table + FuzzPciFunction.PbaOffset, 8).Write(table + 28, 4, 0)
            .Host(BusHostEvent.MsixSignal, 0).Read(table + 12, 4);
        return new("msix-table.bin", b.Build(), $"PCI 00:{b.Machine.Slot:x2}.0 fuzz0 BAR0", "MSI-X messages delivered", r => r.MsixMessages >= 3);
    }

    // The function's plain BARs: the 64-bit memory BAR and the I/O BAR written and read back at
    // every width, up to their last bytes.
    private static BusSeed BarRegisters()
    {
        using var b = new BusInputBuilder();
        ulong bar2 = b.Machine.Pci.BarAddress(b.Machine.Slot, 2)!.Value;
        ushort bar4 = (ushort)b.Machine.Pci.BarAddress(b.Machine.Slot, 4)!.Value;
        b.Write(bar2, 8, 0x0123_4567_89ab_cdef).Read(bar2, 8).Read(bar2 + 2, 2).Write(bar2 + FuzzPciFunction.Bar2Size - 4, 4, 0xdead_beef).Read(bar2 + FuzzPciFunction.Bar2Size - 8, 8)
            .Out(bar4, 4, 0x1234_5678).In(bar4, 4).In((ushort)(bar4 + 1), 1).Out((ushort)(bar4 + FuzzPciFunction.Bar4Size - 2), 2, 0xbeef).In((ushort)(bar4 + FuzzPciFunction.Bar4Size - 4), 4);
        return new("bar-registers.bin", b.Build(), $"PCI 00:{b.Machine.Slot:x2}.0 fuzz0 BAR4", "every access reached the function", r => r.Handled == 10 && r.FunctionBarAccesses >= 10);
    }

    // Linux's s2idle through the LPS0 _DSM: every code the AML writes (screen off, entry, exit,
    // screen on; for each interface), plus the misplaced and wrong-width writes the device drops.
    private static BusSeed LowPowerIdleDsm()
    {
        using var b = new BusInputBuilder();
        ushort port = BusMachine.LowPowerIdlePort.Value;
        for (int code = 0; code < 256; code++)
        {
            if (LowPowerIdleEvent.TryDecode((byte)code, out _))
            {
                b.Out(port, 1, (uint)code);
            }
        }
        b.In(port, 1).Out(port, 2, 0x0013).Out((ushort)(port + 1), 1, 0x13).Out(port, 1, 0xff);
        return new("s2idle-dsm.bin", b.Build(), "Low Power S0 Idle (LPS0 _DSM trap)", "the _DSM codes decoded", r => r.LowPowerIdleEvents >= 4);
    }

    // A power-managed function: _STA, _DSW arming wake, _OFF, the device's wake GPE, _ON, a
    // notify code through the mailbox, then _EJ0 and the emptied slot read.
    private static BusSeed SlotPowerAndEject()
    {
        using var b = new BusInputBuilder(flags: BusShape.WithSlotPower);
        ushort port = BusMachine.SlotPowerPort.Value;
        ulong f = Ecam + ((ulong)b.Machine.Slot << 15);
        b.Out(Pm + 0x2a, 1, 0x03).In((ushort)(port + 1)).In(port).Out(port, 1, 0x21).Out(port, 1, 0x03).Out(port, 1, 0x10).In(port)
            .Host(BusHostEvent.SlotWake).In(Pm + 0x22, 1).Out(Pm + 0x22, 1, 0x02).Out(port, 1, 0x11).Out(port, 1, 0x00)
            .Host(BusHostEvent.SlotNotify, 0x80).In(Pm + 0x22, 1).In((ushort)(port + 2), 2).In((ushort)(port + 2), 2).Out(Pm + 0x22, 1, 0x01)
            .Out(port, 1, 0x30).In((ushort)(port + 1)).Read(f, 4).Out(port, 1, 0x30);
        return new("slot-power-eject.bin", b.Build(), "fuzz0: ACPI power and notify registers", "the power commands taken and the function ejected", r => r.SlotCommands >= 6 && r.Ejected);
    }

    // The ports Linux probes that nothing else owns: POST and io_delay ports, COM2-COM4.
    private static BusSeed QuietPorts()
    {
        using var b = new BusInputBuilder();
        b.Out(0x80, 1, 0).Out(0xed, 1, 0).In(0x80).Out(0x2f9, 1, 0x00).In(0x2f9).Out(0x3e8 + 7, 1, 0x55).In(0x3e8 + 7).In(0x2e8 + 5).In(0x4d0, 2);
        return new("quiet-ports.bin", b.Build(), "COM2, probed by the 8250 driver", "the COM2-COM4 probes handled", r => r.ByDevice.GetValueOrDefault("COM2, probed by the 8250 driver") == 2);
    }

    // Two functions: the guest moves the first one's BAR 0 onto the second's (refused, a
    // warning), reads where it asked, then moves it back.
    private static BusSeed BarCollision()
    {
        using var b = new BusInputBuilder(flags: BusShape.WithSecondFunction);
        ulong f = Ecam + ((ulong)b.Machine.Slot << 15);
        ulong own = b.Machine.Pci.BarAddress(b.Machine.Slot, 0)!.Value;
        ulong other = b.Machine.Pci.BarAddress(b.Machine.SecondSlot, 0)!.Value;
        b.Write(f + 0x10, 4, other).Read(f + 0x10, 4).Read(other, 4).Read(own, 4).Write(f + 0x10, 4, own).Read(own, 4);
        return new("bar-collision.bin", b.Build(), "PCI ECAM (bus 0)", "the colliding placement refused with a warning", r => r.Warnings > 0 && r.FunctionBarAccesses > 0);
    }

    // The arm64 power key as Linux finds and uses it: the AMBA bus's word reads of the PL061's
    // peripheral and PrimeCell IDs (drivers/amba/bus.c); gpio-pl061's probe masking every
    // interrupt (GPIOIE = 0); gpio_keys making pin 3 an input (GPIODIR read, bit cleared),
    // asking for both edges (pl061_irq_type: GPIOIEV, GPIOIS, GPIOIBE read, then GPIOIS, GPIOIBE
    // and GPIOIEV written with pin 3 edge-sensitive on both edges), enabling it (ack through
    // GPIOIC, GPIOIE read and pin 3 set) and reading the key (GPIODATA with address bit 5, as
    // pl061_get_value does). Then the key pressed: the handler reads GPIOMIS, acks through GPIOIC,
    // and after gpio_keys' 5 ms debounce reads the pin high; 100 ms on, the release's edge does
    // the same and the pin reads low.
    private static BusSeed GpioPowerKeyPressAndRelease()
    {
        using var b = new BusInputBuilder();
        ulong gpio = BusMachine.GpioBase.Value;
        const ulong Dir = 0x400, Is = 0x404, Ibe = 0x408, Iev = 0x40c, Ie = 0x410, Ris = 0x414, Mis = 0x418, Ic = 0x41c;
        const byte Key = 1 << BusMachine.PowerKeyPin;
        ulong keyData = gpio + ((ulong)Key << 2);
        for (ulong id = 0xfe0; id < 0x1000; id += 4)
        {
            b.Read(gpio + id, 4);
        }
        b.Write(gpio + Ie, 1, 0)
            .Read(gpio + Dir, 1).Write(gpio + Dir, 1, 0)
            .Read(gpio + Iev, 1).Read(gpio + Is, 1).Read(gpio + Ibe, 1)
            .Write(gpio + Is, 1, 0).Write(gpio + Ibe, 1, Key).Write(gpio + Iev, 1, 0)
            .Write(gpio + Ic, 1, Key).Read(gpio + Ie, 1).Write(gpio + Ie, 1, Key)
            .Read(keyData, 1)
            .Host(BusHostEvent.PowerKeyPress).Read(gpio + Mis, 1).Write(gpio + Ic, 1, Key).Time(5).Read(keyData, 1).Read(gpio + Ris, 1)
            .Time(100).Read(gpio + Mis, 1).Write(gpio + Ic, 1, Key).Time(5).Read(keyData, 1).Read(gpio + Ris, 1);
        return new("gpio-power-key.bin", b.Build(), "GPIO (PL061)", "GPIOINTR raised by the press and by the release, each acked, the key up at the end",
            r => r.PowerKeyPresses == 1 && r.GpioEdges == 2 && !r.GpioLevel && !r.PowerKeyHeld);
    }
}
