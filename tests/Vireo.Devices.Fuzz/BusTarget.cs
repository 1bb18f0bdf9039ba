using System.Buffers.Binary;
using Vireo.Acpi;
using Vireo.Memory;
using Vireo.Pci;

namespace Vireo.Devices.Fuzz;

/// <summary>
/// A guest's port and MMIO accesses, as hostile as the fuzzer makes them, fed through the port
/// and MMIO buses of a <see cref="BusMachine"/> the way a vCPU's exits are. A guest access must
/// never throw: whatever a device throws escapes (afl-fuzz records a crash), and so does a
/// <see cref="BusInvariantException"/> when a device breaks a rule without throwing.
/// </summary>
/// <remarks>
/// <para>Input: a <see cref="BusShape"/> header, then records of a first byte (bits 0-2 the
/// <see cref="BusOp"/>, bits 3-4 log2 of the access size, bits 5-7 the region) and the op's
/// bytes. An access names its address as 3 bytes, taken modulo the region's span from its start
/// (<see cref="PioRegion"/>, <see cref="MmioRegion"/>); regions sit just around the devices'
/// real windows, and those of BARs follow where the guest has placed them. Port accesses of 8
/// bytes are 4, as KVM's port exits are at most 4 wide. At most <see cref="MaxRecords"/> records
/// run; an input ends early where a record is cut short.</para>
/// <para>Checked besides "never throws": an unowned address reads all-ones; a read of a register
/// that has no read side effect (the ACPI PM block, LPS0, the quiet ports, the PCI config ports
/// and ECAM, the function's BARs) fills every byte and reads the same twice; the SCI is asserted
/// exactly while a PM1 or GPE0 status bit is set with its enable bit; the PL061's GPIOMIS is
/// GPIORIS &amp; GPIOIE, its GPIORIS what its state says, its line asserted exactly while GPIOMIS is
/// not zero, and the power key's pin high exactly while the key is down, for no more and no less
/// than its hold time; an ejected function is gone from the bus; and at the end every device's state survives GetState/FromState, and a device
/// restored from it drives its interrupt line to the level the live one holds.</para>
/// </remarks>
public static class BusTarget
{
    /// <summary>Records run per input at most, so no input counts as a hang.</summary>
    public const int MaxRecords = 1024;

    // ACPI 6.5 §4.8.4.1: the PM1 status bits that raise the SCI when enabled: TMR, GBL, PWRBTN,
    // SLPBTN, RTC.
    private const ushort Pm1SciSources = 0x0721;

    // The PL061 registers the GPIO checks read (ARM DDI 0190B's register summary): GPIODATA with
    // every address mask bit set, GPIOIE, GPIORIS, GPIOMIS.
    private const ulong GpioDataAll = 0x3fc, GpioIe = 0x410, GpioRis = 0x414, GpioMis = 0x418;

    private static readonly int HostEvents = Enum.GetValues<BusHostEvent>().Length;

    /// <summary>Runs the input; returns what it did.</summary>
    /// <param name="input">The header and the records.</param>
    /// <param name="countByDevice">Whether to count handled accesses per device name (slower; for tests).</param>
    public static BusRunResult Run(ReadOnlySpan<byte> input, bool countByDevice = false)
    {
        if (input.Length < BusShape.Length)
        {
            return new BusRunResult();
        }
        using var m = new BusMachine(BusShape.Parse(input[..BusShape.Length]));
        var run = new Runner(m, countByDevice);
        ReadOnlySpan<byte> rest = input[BusShape.Length..];
        while (run.Records < MaxRecords && run.Step(ref rest))
        {
            run.CheckSci();
            run.CheckGpio();
        }
        CheckStateRoundTrips(m);
        return new BusRunResult
        {
            Records = run.Records,
            Handled = run.Handled,
            Unhandled = run.Unhandled,
            ByDevice = run.ByDevice,
            SerialOutput = m.SerialOutput,
            Com1Edges = m.Com1Line.Edges,
            KeyboardEdges = m.KeyboardLine.Edges,
            SciEdges = m.Sci.Edges,
            SciLevel = m.Sci.Level,
            FunctionConfigAccesses = m.Function.ConfigAccesses,
            FunctionBarAccesses = m.Function.BarAccesses,
            FunctionPlacements = m.Function.Placements,
            MsixMessages = m.Function.Msix.Delivered.Count,
            LowPowerIdleEvents = m.LowPowerIdleEvents,
            SlotCommands = m.SlotCommands,
            Ejected = m.Ejected,
            Resets = m.Resets,
            PowerOffs = m.PowerOffs,
            SleepRequests = m.SleepRequests,
            Warnings = m.Warnings,
            AlarmsFired = m.Clock.Fired,
            GpioEdges = m.GpioLine.Edges,
            GpioLevel = m.GpioLine.Level,
            PowerKeyPresses = run.PowerKeyPresses,
            PowerKeyHeld = m.PowerKey.IsHeld,
        };
    }

    /// <summary>The first port and the span of port region <paramref name="region"/> (0-7) in <paramref name="machine"/> now.</summary>
    public static (ushort Start, int Span) PioRegion(BusMachine machine, int region)
    {
        ArgumentNullException.ThrowIfNull(machine);
        return region switch
        {
            0 => (0x3f0, 0x18),  // COM1 at 0x3f8
            1 => (0x5c, 0x34),   // the i8042 at 0x60/0x64, the RTC at 0x70, the POST port 0x80
            2 => (0x5f8, 0x48),  // the PM block at 0x600, LPS0 at 0x630, slot power at 0x634
            3 => (0xcf4, 0x10),  // CONFIG_ADDRESS/CONFIG_DATA at 0xcf8
            4 => Around(machine.Pci.BarAddress(machine.Slot, 4) ?? BusMachine.Layout.IoBarBase.Value, FuzzPciFunction.Bar4Size),
            5 => (0x2e0, 0x120), // COM4, COM2, COM3 (quiet) and COM1
            6 => machine.Second is null
                ? (BusMachine.Layout.IoBarBase.Value, 0x100)
                : Around(machine.Pci.BarAddress(machine.SecondSlot, 4) ?? BusMachine.Layout.IoBarBase.Value, FuzzPciFunction.Bar4Size),
            _ => (0, 0x1_0000),
        };

        static (ushort, int) Around(ulong port, ulong size) => ((ushort)Math.Max(0, (long)port - 4), (int)size + 8);
    }

    /// <summary>The first address and the span of MMIO region <paramref name="region"/> (0-6) in
    /// <paramref name="machine"/> now; region 7 is the 3 address bytes shifted up by 16 bits instead.
    /// Region 6 is the second function's BAR 0, or with one function the PL061 (which before the
    /// PL061 was the host bridge's config space, also region 0's first 0x8100 bytes).</summary>
    public static (ulong Start, ulong Span) MmioRegion(BusMachine machine, int region)
    {
        ArgumentNullException.ThrowIfNull(machine);
        PciRootBusLayout l = BusMachine.Layout;
        ulong ecam = l.EcamBase.Value;
        return region switch
        {
            0 => (ecam - 0x100, PciRootBus.EcamSize + 0x200),
            1 => (ecam + ((ulong)machine.Slot << 15), 0x8000), // functions 0-7 of the function's slot
            2 => Around(machine.Pci.BarAddress(machine.Slot, 0) ?? l.Memory32Base.Value, FuzzPciFunction.Bar0Size),
            3 => Around(machine.Pci.BarAddress(machine.Slot, 2) ?? l.Memory64Base.Value, FuzzPciFunction.Bar2Size),
            4 => (l.Memory32Base.Value, 0x2_0000),
            5 => (l.Memory64Base.Value, 0x2_0000),
            6 => machine.Second is null
                ? Around(BusMachine.GpioBase.Value, Pl061Gpio.WindowSize)
                : Around(machine.Pci.BarAddress(machine.SecondSlot, 0) ?? l.Memory32Base.Value, FuzzPciFunction.Bar0Size),
            _ => (0, 1UL << 40),
        };

        static (ulong, ulong) Around(ulong address, ulong size) => (address - 8, size + 16);
    }

    // Each device restored from its state (as a snapshot restore does) must have the same state
    // and drive its interrupt line to the level the live device holds: a line left at another
    // level than the registers say is a lost or a stuck interrupt.
    private static void CheckStateRoundTrips(BusMachine m)
    {
        var com1 = new RecordingInterruptLine("restored COM1");
        Same("COM1", m.Serial.GetState(), Serial8250.FromState(m.Serial.GetState(), com1, null, m.Shape.SerialRxCapacity).GetState());
        SameLevel(m.Com1Line, com1);
        var keyboard = new RecordingInterruptLine("restored i8042");
        Same("i8042", m.I8042.GetState(), I8042.FromState(m.I8042.GetState(), keyboard).GetState());
        SameLevel(m.KeyboardLine, keyboard);
        Same("CMOS RTC", m.Rtc.GetState(), CmosRtc.FromState(m.Rtc.GetState(), m.Clock.GetUtcNow).GetState());
        var sci = new RecordingInterruptLine("restored SCI");
        using (var pm = AcpiPmDevice.FromState(m.Pm.GetState(), sci, m.Clock))
        {
            Same("ACPI PM", m.Pm.GetState(), pm.GetState());
        }
        SameLevel(m.Sci, sci);
        var gpio = new RecordingInterruptLine("restored GPIO (PL061) GPIOINTR");
        Same("GPIO (PL061)", m.Gpio.GetState(), Pl061Gpio.FromState(m.Gpio.GetState(), gpio).GetState());
        SameLevel(m.GpioLine, gpio);
        if (m.SlotPower is { } slot)
        {
            Same("slot power", slot.GetState(), SlotPowerDevice.FromState(slot.GetState(), slot.Port, slot.NotifyGpe, slot.WakeGpe, slot.Device, _ => { }).GetState());
        }

        static void SameLevel(RecordingInterruptLine live, RecordingInterruptLine restored)
        {
            if (live.Level != restored.Level)
            {
                throw new BusInvariantException($"{live.Name} is {(live.Level ? "asserted" : "deasserted")}, but the device restored from its state drives it {(restored.Level ? "asserted" : "deasserted")}");
            }
        }

        static void Same<T>(string device, T before, T after)
        {
            if (!EqualityComparer<T>.Default.Equals(before, after))
            {
                throw new BusInvariantException($"{device}: state does not survive GetState/FromState: {before} became {after}");
            }
        }
    }

    private sealed class Runner(BusMachine m, bool countByDevice)
    {
        private readonly byte[] _first = new byte[8];
        private readonly byte[] _second = new byte[8];
        private bool _ejectChecked;
        private long? _keyDownAt;

        public int Records { get; private set; }

        public int Handled { get; private set; }

        public int Unhandled { get; private set; }

        public Dictionary<string, int> ByDevice { get; } = [];

        public int PowerKeyPresses { get; private set; }

        // One record; false when the input ends (or is cut short) here.
        public bool Step(ref ReadOnlySpan<byte> rest)
        {
            if (rest.IsEmpty)
            {
                return false;
            }
            byte head = rest[0];
            var op = (BusOp)(head & 7);
            int size = 1 << ((head >> 3) & 3);
            int region = head >> 5;
            rest = rest[1..];
            switch (op)
            {
                case BusOp.Host or BusOp.Time:
                    if (rest.Length < 2)
                    {
                        return false;
                    }
                    if (op == BusOp.Host)
                    {
                        Host((BusHostEvent)(rest[0] % HostEvents), rest[1]);
                    }
                    else
                    {
                        m.Clock.Advance(TimeSpan.FromMilliseconds(BinaryPrimitives.ReadUInt16LittleEndian(rest)));
                    }
                    rest = rest[2..];
                    break;
                default:
                    bool write = op is BusOp.PioWrite or BusOp.PioWrite2 or BusOp.MmioWrite;
                    bool mmio = op is BusOp.MmioRead or BusOp.MmioWrite;
                    size = !mmio && size == 8 ? 4 : size;
                    if (rest.Length < 3 + (write ? size : 0))
                    {
                        return false;
                    }
                    uint offset = (uint)(rest[0] | (rest[1] << 8) | (rest[2] << 16));
                    ReadOnlySpan<byte> data = write ? rest.Slice(3, size) : default;
                    if (mmio)
                    {
                        (ulong start, ulong span) = MmioRegion(m, region);
                        ulong address = region == 7 ? (ulong)offset << 16 : start + (offset % span);
                        Mmio(new MmioAddress(address), write, data, size);
                    }
                    else
                    {
                        (ushort start, int span) = PioRegion(m, region);
                        Pio(new PioAddress((ushort)(start + (offset % (uint)span))), write, data, size);
                    }
                    rest = rest[(3 + (write ? size : 0))..];
                    break;
            }
            Records++;
            CheckEject();
            CheckPlacements(m.Function, m.Slot);
            if (m.Second is { } second)
            {
                CheckPlacements(second, m.SecondSlot);
            }
            return true;
        }

        // Where the root decodes each BAR is what the function and the root's event (the VMM maps
        // a BAR's areas into the guest from them) last said, and lies inside a window the host
        // bridge declares.
        private void CheckPlacements(FuzzPciFunction function, int slot)
        {
            PciRootBusLayout l = BusMachine.Layout;
            foreach (PciBarDescriptor bar in function.Bars)
            {
                ulong? at = m.Ejected && function == m.Function ? null : m.Pci.BarAddress(slot, bar.Index);
                if (bar.IsMemory && (function.Placed[bar.Index]?.Value != at || m.Placed.GetValueOrDefault((function.Id, bar.Index))?.Value != at))
                {
                    throw new BusInvariantException($"{function.Id} BAR {bar.Index} decodes at {at:x}, but the function was told {function.Placed[bar.Index]} and the root's event said {m.Placed.GetValueOrDefault((function.Id, bar.Index))}");
                }
                bool inside = at is not ulong a || (bar.IsMemory
                    ? (a >= l.Memory32Base.Value && a + bar.Size <= l.Memory32Base.Value + l.Memory32Size) || (a >= l.Memory64Base.Value && a + bar.Size - l.Memory64Base.Value <= l.Memory64Size)
                    : PciHostBridgeAml.IoWindows.Any(w => a >= w.First && a + bar.Size <= w.Last + 1UL));
                if (!inside)
                {
                    throw new BusInvariantException($"{function.Id} BAR {bar.Index} ({bar.Size:x} bytes) decodes at 0x{at:x}, outside the host bridge's windows");
                }
            }
        }

        public void CheckSci()
        {
            Span<byte> pm1 = stackalloc byte[AcpiPmDevice.Pm1EventLength];
            Span<byte> gpe = stackalloc byte[AcpiPmDevice.Gpe0Length];
            m.Pm.Read(AcpiPmDevice.Pm1EventOffset, pm1);
            m.Pm.Read(AcpiPmDevice.Gpe0Offset, gpe);
            bool pending = (BinaryPrimitives.ReadUInt16LittleEndian(pm1) & BinaryPrimitives.ReadUInt16LittleEndian(pm1[2..]) & Pm1SciSources) != 0;
            int half = AcpiPmDevice.Gpe0Length / 2;
            for (int i = 0; i < half && !pending; i++)
            {
                pending = (gpe[i] & gpe[half + i]) != 0;
            }
            if (pending != m.Sci.Level)
            {
                throw new BusInvariantException($"the SCI is {(m.Sci.Level ? "asserted" : "deasserted")} while PM1 {Convert.ToHexString(pm1)} GPE0 {Convert.ToHexString(gpe)} say it should {(pending ? "be asserted" : "not be")}");
            }
        }

        // The PL061 as ARM DDI 0190B has it, read beside the bus (its registers have no read side
        // effects; GetState is what a snapshot saves): GPIOMIS is GPIORIS & GPIOIE; GPIORIS is, for
        // an edge-sensitive pin, an edge latched and not cleared and, for a level-sensitive one,
        // whether the pin is at the level GPIOIEV names (never a latched edge); GPIOINTR is
        // asserted exactly while GPIOMIS is not zero; GPIODATA reads the pins' levels. Nothing but
        // the power key drives an input, and its pin is high exactly while it is down, which lasts
        // the key's hold time of running clock from its press (or from the wake that restarted it).
        public void CheckGpio()
        {
            Pl061State s = m.Gpio.GetState();
            byte data = Register(GpioDataAll), ie = Register(GpioIe), ris = Register(GpioRis), mis = Register(GpioMis);
            byte levels = (byte)((s.Data & s.Direction) | (s.Inputs & ~s.Direction));
            byte expectedRis = (byte)((s.EdgeStatus & ~s.InterruptSense) | (~(levels ^ s.InterruptEvent) & s.InterruptSense));
            string registers = $"GPIODATA 0x{data:x2} GPIOIE 0x{ie:x2} GPIORIS 0x{ris:x2} GPIOMIS 0x{mis:x2}, state {s}";
            if (mis != (byte)(ris & ie))
            {
                throw new BusInvariantException($"PL061: GPIOMIS is not GPIORIS & GPIOIE: {registers}");
            }
            if (ie != s.InterruptMask || ris != expectedRis || data != levels || (s.EdgeStatus & s.InterruptSense) != 0)
            {
                throw new BusInvariantException($"PL061: the registers disagree with the state (GPIORIS should be 0x{expectedRis:x2}, GPIODATA 0x{levels:x2}, no edge latched on a level-sensitive pin): {registers}");
            }
            if (m.GpioLine.Level != (mis != 0))
            {
                throw new BusInvariantException($"PL061: GPIOINTR is {(m.GpioLine.Level ? "asserted" : "deasserted")} while {registers}");
            }
            const byte keyBit = 1 << BusMachine.PowerKeyPin;
            bool held = m.PowerKey.IsHeld;
            if (s.Inputs != (held ? keyBit : 0))
            {
                throw new BusInvariantException($"PL061: the inputs are 0x{s.Inputs:x2} while the power key on pin {BusMachine.PowerKeyPin} is {(held ? "down" : "up")}");
            }
            if (_keyDownAt is not long down)
            {
                if (held)
                {
                    throw new BusInvariantException("the power key is down, and nothing pressed it");
                }
                return;
            }
            TimeSpan since = m.Clock.GetElapsedTime(down);
            if (held && since >= GpioPowerKey.HoldTime)
            {
                throw new BusInvariantException($"the power key is still down {since.TotalMilliseconds} ms after its press (its hold time is {GpioPowerKey.HoldTime.TotalMilliseconds} ms)");
            }
            if (!held)
            {
                if (since < GpioPowerKey.HoldTime)
                {
                    throw new BusInvariantException($"the power key went up {since.TotalMilliseconds} ms after its press (its hold time is {GpioPowerKey.HoldTime.TotalMilliseconds} ms)");
                }
                _keyDownAt = null;
            }

            byte Register(ulong offset)
            {
                Span<byte> value = stackalloc byte[1];
                m.Gpio.Read(offset, value);
                return value[0];
            }
        }

        private void Host(BusHostEvent e, byte arg)
        {
            switch (e)
            {
                case BusHostEvent.SerialInput:
                    Span<byte> bytes = stackalloc byte[1 + (arg % 8)];
                    bytes.Fill(arg);
                    m.Serial.Enqueue(bytes);
                    break;
                case BusHostEvent.PowerButton:
                    m.Pm.PressPowerButton();
                    break;
                case BusHostEvent.RaiseGpe:
                    m.Pm.RaiseGpe(arg % AcpiPmDevice.GpeCount);
                    break;
                case BusHostEvent.RaiseGlobalEvent:
                    m.Pm.RaiseGlobalEvent();
                    break;
                case BusHostEvent.ClearGlobalEvent:
                    m.Pm.ClearGlobalEvent();
                    break;
                case BusHostEvent.SlotNotify:
                    m.SlotPower?.PostNotify(arg);
                    break;
                case BusHostEvent.SlotWake:
                    m.SlotPower?.SignalWake();
                    break;
                case BusHostEvent.MsixSignal:
                    if (!m.Ejected)
                    {
                        m.Function.Signal(arg);
                    }
                    break;
                case BusHostEvent.SleepWake:
                    foreach (ISuspendable s in m.Suspendables)
                    {
                        s.Sleep();
                    }
                    foreach (ISuspendable s in m.Suspendables)
                    {
                        s.Wake();
                    }
                    // A key down when the machine woke holds for its whole time from now.
                    _keyDownAt = m.PowerKey.IsHeld ? m.Clock.GetTimestamp() : _keyDownAt;
                    break;
                default:
                    if (!m.PowerKey.IsHeld)
                    {
                        _keyDownAt = m.Clock.GetTimestamp();
                        PowerKeyPresses++;
                    }
                    m.PowerKey.Press();
                    break;
            }
        }

        private void Pio(PioAddress address, bool write, ReadOnlySpan<byte> data, int size) =>
            Access(m.Pio, "pio", address, write, data, size, PioReadIsPure);

        private void Mmio(MmioAddress address, bool write, ReadOnlySpan<byte> data, int size) =>
            Access(m.Mmio, "mmio", address, write, data, size, MmioReadIsPure);

        // One access as a vCPU exit makes it: a write goes through; a read of an unowned address
        // must give all-ones, and a read of a register with no read side effect must give the
        // same bytes twice, whatever the buffer held before.
        private void Access<TAddress>(Bus<TAddress> bus, string kind, TAddress address, bool write, ReadOnlySpan<byte> data, int size, Func<ulong, bool> readIsPure)
            where TAddress : struct, IBusAddress
        {
            if (write)
            {
                Count(bus.Write(address, data), bus, address.Raw);
                return;
            }
            Span<byte> first = _first.AsSpan(0, size);
            first.Fill(0xa5);
            bool handled = bus.Read(address, first);
            Count(handled, bus, address.Raw);
            if (!handled)
            {
                AllOnes(kind, address.Raw, first);
            }
            else if (readIsPure(address.Raw))
            {
                Span<byte> second = _second.AsSpan(0, size);
                second.Fill(0x5a);
                bus.Read(address, second);
                Stable(kind, address.Raw, first, second);
            }
        }

        // Registers a read does not change (the clock stands still between the two reads): the
        // whole PM block (PM_TMR included), LPS0, the quiet ports, the PCI config ports, and the
        // functions' I/O BARs. Not COM1, the i8042, the RTC (register C clears on read) nor the
        // slot mailbox, whose reads pop.
        private bool PioReadIsPure(ulong port)
        {
            if (port - BusMachine.PmBase.Value < AcpiPmDevice.WindowLength
                || port - BusMachine.LowPowerIdlePort.Value < LowPowerIdleDevice.WindowLength
                || port - PciRootBus.ConfigPorts.Value < PciRootBus.ConfigPortCount
                || InBar(m.Slot, 4, port, FuzzPciFunction.Bar4Size)
                || (m.Second is not null && InBar(m.SecondSlot, 4, port, FuzzPciFunction.Bar4Size)))
            {
                return true;
            }
            foreach ((PioAddress start, ushort length, _, _) in QuietPortDevice.LinuxProbedPorts)
            {
                if (port - start.Value < length)
                {
                    return true;
                }
            }
            return false;
        }

        // ECAM, the functions' memory BARs (the MSI-X table and PBA, plain registers) and the PL061
        // (no register of it changes on a read; GPIOIC clears on a write).
        private bool MmioReadIsPure(ulong address) =>
            address - BusMachine.Layout.EcamBase.Value < PciRootBus.EcamSize
            || address - BusMachine.GpioBase.Value < Pl061Gpio.WindowSize
            || InBar(m.Slot, 0, address, FuzzPciFunction.Bar0Size)
            || InBar(m.Slot, 2, address, FuzzPciFunction.Bar2Size)
            || (m.Second is not null && (InBar(m.SecondSlot, 0, address, FuzzPciFunction.Bar0Size) || InBar(m.SecondSlot, 2, address, FuzzPciFunction.Bar2Size)));

        private bool InBar(int slot, int index, ulong address, ulong size) =>
            m.Pci.BarAddress(slot, index) is ulong bar && address - bar < size;

        private void CheckEject()
        {
            if (!m.Ejected || _ejectChecked)
            {
                return;
            }
            _ejectChecked = true;
            if (m.Pci.FunctionAt(m.Slot) is not null || m.Pci.BarAddress(m.Slot, 0) is not null || m.Pci.BarAddress(m.Slot, 2) is not null || m.Pci.BarAddress(m.Slot, 4) is not null)
            {
                throw new BusInvariantException($"the guest ejected slot {m.Slot} and the function or one of its BARs is still on the bus");
            }
            Span<byte> vendor = stackalloc byte[2];
            m.Mmio.Read(new MmioAddress(BusMachine.Layout.EcamBase.Value + ((ulong)m.Slot << 15)), vendor);
            if (BinaryPrimitives.ReadUInt16LittleEndian(vendor) != 0xffff)
            {
                throw new BusInvariantException($"the guest ejected slot {m.Slot} and its Vendor ID reads 0x{BinaryPrimitives.ReadUInt16LittleEndian(vendor):x4}, not 0xffff");
            }
        }

        private void Count<TAddress>(bool handled, Bus<TAddress> bus, ulong address)
            where TAddress : struct, IBusAddress
        {
            if (!handled)
            {
                Unhandled++;
                return;
            }
            Handled++;
            if (countByDevice)
            {
                foreach ((TAddress start, ulong length, string name) in bus.Devices)
                {
                    if (address - start.Raw < length)
                    {
                        ByDevice[name] = ByDevice.GetValueOrDefault(name) + 1;
                        break;
                    }
                }
            }
        }

        private static void AllOnes(string bus, ulong address, ReadOnlySpan<byte> data)
        {
            if (data.ContainsAnyExcept((byte)0xff))
            {
                throw new BusInvariantException($"{bus}: a {data.Length}-byte read of unowned 0x{address:x} returned {Convert.ToHexString(data)}, not all-ones");
            }
        }

        private static void Stable(string bus, ulong address, ReadOnlySpan<byte> first, ReadOnlySpan<byte> second)
        {
            if (!first.SequenceEqual(second))
            {
                throw new BusInvariantException($"{bus}: two {first.Length}-byte reads of 0x{address:x}, which has no read side effect, returned {Convert.ToHexString(first)} then {Convert.ToHexString(second)} (bytes left unfilled?)");
            }
        }
    }
}
