using System.Buffers.Binary;
using Vireo.Acpi;
using Vireo.Memory;
using Vireo.Pci;

namespace Vireo.Devices;

/// <summary>
/// The machine's PCI root bus (segment 0, bus 0) and host bridge: config mechanism #1 on ports
/// 0xCF8-0xCFF and ECAM in an MMIO window, the host bridge function at 00.0, up to 31
/// <see cref="IPciFunction"/>s at function 0 of slots 1-31, and every function's BAR registers.
/// </summary>
/// <remarks>
/// <para>The root owns the BAR registers (sizing, 64-bit pairs, expansion ROM reading 0) of every
/// function, so that logic exists once for all backends. At <see cref="Attach"/> it places each
/// BAR as firmware would (32-bit and non-prefetchable BARs in the 32-bit window, prefetchable
/// 64-bit BARs in the 64-bit window, I/O BARs in the I/O range) and turns decoding on. A BAR
/// decodes while the function's Command register enables its space and its range lies inside a
/// window the host bridge's _CRS declares; the root then puts it on the port or MMIO bus and moves
/// it when the guest reprograms it. A placement that collides with another device on the bus is
/// refused with a warning, the BAR left not decoding: the guest's mistake, not a VMM crash.</para>
/// <para>Threads: vCPU threads call in through the config ports, the ECAM window and the BAR
/// windows. Config accesses, placement changes and the function callbacks they cause are
/// serialized by one lock; BAR accesses go straight to the function.</para>
/// <para>Unpopulated slots, functions 1-7 and accesses past a function's config space read
/// all-ones and drop writes, as a real bus's master abort does. A function can leave its slot
/// while the machine runs (<see cref="Detach"/>, the guest's ACPI eject); its slot is empty from
/// then on. A slot can also be kept empty from the start (<see cref="KeepEmpty"/>), so that a
/// machine rebuilt without an ejected function puts the others where they were.</para>
/// </remarks>
public sealed class PciRootBus : IAml
{
    /// <summary>The ECAM window's size: 4 KiB × 8 functions × 32 devices of bus 0.</summary>
    public const ulong EcamSize = 1UL << 20;

    /// <summary>CONFIG_ADDRESS; CONFIG_DATA follows at 0xCFC (PCI 3.0 §3.2.2.3.2).</summary>
    public static readonly PioAddress ConfigPorts = new(0xcf8);

    /// <summary>Ports 0xCF8-0xCFF.</summary>
    public const ushort ConfigPortCount = PciConfigPorts.PortCount;

    /// <summary>Slots on the bus; slot 0 is the host bridge.</summary>
    public const int SlotCount = PciSlotAml.SlotCount;

    // PCI 3.0 §6.2: the BAR registers and the expansion ROM BAR of a type 0 header.
    private const int BarRegistersStart = PciConfigSpace.BarOffset;
    private const int BarRegistersEnd = BarRegistersStart + (PciSlotState.BarCount * 4);
    private const int RomRegister = 0x30;
    // PCI 3.0 §6.2.2: Command bit 0 I/O space, bit 1 memory space.
    private const ushort CommandIoSpace = 0x1;
    private const ushort CommandMemorySpace = 0x2;

    private readonly object _lock = new();
    private readonly PciSlotState?[] _slots = new PciSlotState?[SlotCount];
    private readonly bool[] _keptEmpty = new bool[SlotCount];
    private readonly Bus<PioAddress> _pio;
    private readonly Bus<MmioAddress> _mmio;
    private readonly Action<string>? _warn;
    private ulong _next32;
    private ulong _next64;
    private uint _nextIo;

    /// <summary>A root bus at <paramref name="layout"/>: puts the config ports and the ECAM window
    /// on the buses and the host bridge in slot 0.</summary>
    /// <param name="layout">The windows and GSIs, from the machine's platform resources.</param>
    /// <param name="pio">The port bus, for the config ports and I/O BARs.</param>
    /// <param name="mmio">The MMIO bus, for ECAM and memory BARs.</param>
    /// <param name="warn">Where refused placements are reported; nowhere when null.</param>
    /// <exception cref="ArgumentException">The layout does not hold (<see cref="PciRootBusLayout.Validate"/>).</exception>
    /// <exception cref="BusConflictException">Something already sits on the config ports or the ECAM window.</exception>
    public PciRootBus(PciRootBusLayout layout, Bus<PioAddress> pio, Bus<MmioAddress> mmio, Action<string>? warn = null)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(pio);
        ArgumentNullException.ThrowIfNull(mmio);
        layout.Validate();
        Layout = layout;
        _pio = pio;
        _mmio = mmio;
        _warn = warn;
        _next32 = layout.Memory32Base.Value;
        _next64 = layout.Memory64Base.Value;
        _nextIo = layout.IoBarBase.Value;
        pio.Insert(ConfigPorts, ConfigPortCount, new PciConfigPorts(this), "PCI config ports (CONFIG_ADDRESS/CONFIG_DATA)");
        mmio.Insert(layout.EcamBase, EcamSize, new PciEcamWindow(this), "PCI ECAM (bus 0)");
        _slots[0] = new PciSlotState(0, new PciHostBridgeFunction());
    }

    /// <summary>The windows and GSIs the bus was built with.</summary>
    public PciRootBusLayout Layout { get; }

    /// <summary>The MCFG entry for the ECAM window: segment 0, bus 0 only.</summary>
    public McfgAllocation McfgAllocation => new(Layout.EcamBase.Value, 0, 0, 0);

    /// <summary>Raised when a memory BAR starts or stops decoding or moves, after the function's
    /// own <see cref="IPciFunction.MemoryBarPlaced"/>: the function, the BAR, and where it now
    /// decodes (null: nowhere). The VMM maps a BAR's mmap areas into the guest here. Runs on the
    /// vCPU thread that made the config access, under the bus's lock.</summary>
    public event Action<IPciFunction, PciBarDescriptor, MmioAddress?>? MemoryBarPlaced;

    /// <summary>The populated slots and their functions, host bridge first.</summary>
    public IReadOnlyList<(int Slot, IPciFunction Function)> Functions
    {
        get
        {
            lock (_lock)
            {
                return _slots.OfType<PciSlotState>().Select(s => (s.Slot, s.Function)).ToArray();
            }
        }
    }

    /// <summary>Puts <paramref name="function"/> at function 0 of <paramref name="slot"/> (the
    /// lowest free slot from 1 when null), places its BARs and enables decoding of the spaces it
    /// has BARs in, as firmware does before the OS boots. Returns the slot.</summary>
    /// <exception cref="ArgumentException">The slot is taken or out of 1-31, the bus is full, the
    /// function's id is used already, or its BARs share registers.</exception>
    public int Attach(IPciFunction function, int? slot = null)
    {
        ArgumentNullException.ThrowIfNull(function);
        lock (_lock)
        {
            if (_slots.Any(s => s is not null && s.Function.Id == function.Id))
            {
                throw new ArgumentException($"a PCI function named '{function.Id}' is attached already", nameof(function));
            }
            int at = slot ?? FirstFreeSlot();
            if (at is < 1 or >= SlotCount)
            {
                throw new ArgumentException(slot is null ? $"no free PCI slot for {function.Id}: all 31 are taken" : $"PCI slot {slot} for {function.Id} is outside 1-31", nameof(slot));
            }
            if (_slots[at] is PciSlotState taken)
            {
                throw new ArgumentException($"PCI slot {at} for {function.Id} holds {taken.Function.Id} already", nameof(slot));
            }
            if (_keptEmpty[at])
            {
                throw new ArgumentException($"PCI slot {at} for {function.Id} is kept empty (its device was ejected)", nameof(slot));
            }
            if (function.ConfigSize is not (PciConfigSpace.StandardSize or PciConfigSpace.ExtendedSize))
            {
                throw new ArgumentException($"PCI function {function.Id} reports a config space of {function.ConfigSize} bytes, not 256 or 4096", nameof(function));
            }
            var state = new PciSlotState(at, function);
            _slots[at] = state;
            ushort enable = 0;
            foreach (PciBarDescriptor bar in state.Bars.OfType<PciBarDescriptor>().OrderByDescending(b => b.Size))
            {
                if (AllocateInitial(bar) is ulong address)
                {
                    state.SetAddress(bar, address);
                    enable |= bar.IsMemory ? CommandMemorySpace : CommandIoSpace;
                }
                else
                {
                    _warn?.Invoke($"pci: no room for {function.Id} {bar}; it stays unassigned for the guest to place");
                }
            }
            if (enable != 0)
            {
                Span<byte> command = stackalloc byte[2];
                function.ReadConfig(PciConfigSpace.CommandOffset, command);
                BinaryPrimitives.WriteUInt16LittleEndian(command, (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(command) | enable));
                function.WriteConfig(PciConfigSpace.CommandOffset, command);
            }
            RefreshDecoding(state);
            return at;
        }
    }

    /// <summary>Keeps <paramref name="slot"/> (the lowest free slot from 1 when null, as
    /// <see cref="Attach"/> would choose) empty: nothing is attached there and config accesses
    /// read all-ones. Returns the slot.</summary>
    /// <exception cref="ArgumentException">The slot is taken or out of 1-31, or the bus is full.</exception>
    public int KeepEmpty(int? slot = null)
    {
        lock (_lock)
        {
            int at = slot ?? FirstFreeSlot();
            if (at is < 1 or >= SlotCount)
            {
                throw new ArgumentException(slot is null ? "no free PCI slot to keep empty: all 31 are taken" : $"PCI slot {slot} is outside 1-31", nameof(slot));
            }
            if (_slots[at] is PciSlotState taken)
            {
                throw new ArgumentException($"PCI slot {at} holds {taken.Function.Id}", nameof(slot));
            }
            _keptEmpty[at] = true;
            return at;
        }
    }

    /// <summary>Takes the function in <paramref name="slot"/> off the bus, as a removed card: its
    /// BARs stop decoding (off the port and MMIO buses; <see cref="IPciFunction.MemoryBarPlaced"/>
    /// and <see cref="MemoryBarPlaced"/> are told for each memory BAR, so its memory slots go),
    /// and from then on the slot reads all-ones like any empty slot. The function itself is not
    /// accessed. Returns the function, or null when the slot was empty already.</summary>
    /// <remarks>From any thread (the guest's eject arrives on a vCPU's); under the bus's lock, so
    /// no config access to the slot is half done. A BAR access already inside the function may
    /// still finish.</remarks>
    public IPciFunction? Detach(int slot)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)slot, (uint)SlotCount, nameof(slot));
        lock (_lock)
        {
            if (slot == 0 || _slots[slot] is not PciSlotState state)
            {
                return null;
            }
            foreach (PciBarDescriptor bar in state.Bars.OfType<PciBarDescriptor>())
            {
                if (state.Decoded[bar.Index] is not ulong at)
                {
                    continue;
                }
                Unplace(bar, at);
                state.Decoded[bar.Index] = null;
                if (bar.IsMemory)
                {
                    state.Function.MemoryBarPlaced(bar.Index, null);
                    MemoryBarPlaced?.Invoke(state.Function, bar, null);
                }
            }
            _slots[slot] = null;
            _keptEmpty[slot] = true;
            return state.Function;
        }
    }

    /// <summary>The function in <paramref name="slot"/>, or null.</summary>
    public IPciFunction? FunctionAt(int slot)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)slot, (uint)SlotCount, nameof(slot));
        lock (_lock)
        {
            return _slots[slot]?.Function;
        }
    }

    /// <summary>The ACPI Device of a populated slot, which later work extends (_PRW, _PS0/_PS3, Notify targets).</summary>
    /// <exception cref="ArgumentException">The slot is empty or is the host bridge's.</exception>
    public PciSlotAml SlotAml(int slot)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)slot, (uint)SlotCount, nameof(slot));
        lock (_lock)
        {
            return slot != 0 && _slots[slot] is PciSlotState state ? state.Aml : throw new ArgumentException($"PCI slot {slot} has no device", nameof(slot));
        }
    }

    /// <summary>Where BAR <paramref name="index"/> of the function in <paramref name="slot"/>
    /// decodes now (a port number for an I/O BAR); null when it does not.</summary>
    public ulong? BarAddress(int slot, int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)slot, (uint)SlotCount, nameof(slot));
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)PciSlotState.BarCount, nameof(index));
        lock (_lock)
        {
            return _slots[slot]?.Decoded[index];
        }
    }

    /// <summary>Reads the config space of the function in <paramref name="slot"/> the way a guest's
    /// access does (the BAR registers from the root, the rest from the function; all-ones for an
    /// empty slot), for the VMM's own reports.</summary>
    /// <param name="slot">0 to 31.</param>
    /// <param name="register">The byte offset, aligned to <paramref name="data"/>'s length.</param>
    /// <param name="data">1, 2 or 4 bytes.</param>
    public void ReadConfig(int slot, int register, Span<byte> data)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)slot, (uint)SlotCount, nameof(slot));
        if (data.Length is not (1 or 2 or 4) || register < 0 || register % data.Length != 0)
        {
            throw new ArgumentException($"a config read is 1, 2 or 4 bytes at an aligned offset, not {data.Length} at 0x{register:x}", nameof(data));
        }
        ReadConfig(slot, 0, register, data);
    }

    /// <summary>Writes the config space of the function in <paramref name="slot"/> the way a guest's
    /// access does (the BAR registers to the root, which places the BARs once decoding is on; the
    /// rest to the function): how a restored machine replays what its guest had programmed.</summary>
    /// <param name="slot">0 to 31.</param>
    /// <param name="register">The byte offset, aligned to <paramref name="data"/>'s length.</param>
    /// <param name="data">1, 2 or 4 bytes, little-endian.</param>
    public void WriteConfig(int slot, int register, ReadOnlySpan<byte> data)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)slot, (uint)SlotCount, nameof(slot));
        if (data.Length is not (1 or 2 or 4) || register < 0 || register % data.Length != 0)
        {
            throw new ArgumentException($"a config write is 1, 2 or 4 bytes at an aligned offset, not {data.Length} at 0x{register:x}", nameof(data));
        }
        WriteConfig(slot, 0, register, data);
    }

    /// <summary>The GSI that <paramref name="pin"/> (0 = INTA#) of <paramref name="slot"/> raises, as the _PRT says.</summary>
    public uint IntxGsi(int slot, int pin) => PciHostBridgeAml.IntxGsi(Layout.IntxGsis, slot, pin);

    /// <summary>The host bridge's <c>\_SB.PCI0</c> with a Device per populated slot.</summary>
    public void AppendTo(AmlSink sink)
    {
        PciSlotAml[] slots;
        lock (_lock)
        {
            slots = _slots.Skip(1).OfType<PciSlotState>().Select(s => s.Aml).ToArray();
        }
        new PciHostBridgeAml(
            (Layout.Memory32Base.Value, Layout.Memory32Size),
            (Layout.Memory64Base.Value, Layout.Memory64Size),
            Layout.IntxGsis,
            slots).AppendTo(sink);
    }

    /// <summary>A config read of bus 0; <paramref name="data"/> is 1, 2 or 4 bytes, naturally aligned.</summary>
    internal void ReadConfig(int device, int function, int register, Span<byte> data)
    {
        lock (_lock)
        {
            if (Target(device, function, register, data.Length) is not PciSlotState state)
            {
                data.Fill(0xff);
            }
            else if (register is >= BarRegistersStart and < BarRegistersEnd)
            {
                Span<byte> dword = stackalloc byte[4];
                BinaryPrimitives.WriteUInt32LittleEndian(dword, state.ReadRegister((register - BarRegistersStart) / 4));
                dword.Slice(register % 4, data.Length).CopyTo(data);
            }
            else if (register is >= RomRegister and < RomRegister + 4)
            {
                data.Clear();
            }
            else
            {
                state.Function.ReadConfig(register, data);
            }
        }
    }

    /// <summary>A config write to bus 0; <paramref name="data"/> is 1, 2 or 4 bytes, naturally aligned.</summary>
    internal void WriteConfig(int device, int function, int register, ReadOnlySpan<byte> data)
    {
        lock (_lock)
        {
            if (Target(device, function, register, data.Length) is not PciSlotState state)
            {
                return;
            }
            if (register is >= BarRegistersStart and < BarRegistersEnd)
            {
                int shift = (register % 4) * 8;
                uint value = 0;
                for (int i = 0; i < data.Length; i++)
                {
                    value |= (uint)data[i] << (8 * i);
                }
                uint byteMask = (data.Length == 4 ? uint.MaxValue : (1u << (8 * data.Length)) - 1) << shift;
                state.WriteRegister((register - BarRegistersStart) / 4, value << shift, byteMask);
                RefreshDecoding(state);
            }
            else if (register is < RomRegister or >= RomRegister + 4)
            {
                state.Function.WriteConfig(register, data);
                if (register < PciConfigSpace.CommandOffset + 2 && register + data.Length > PciConfigSpace.CommandOffset)
                {
                    RefreshDecoding(state);
                }
            }
        }
    }

    // Under _lock: Attach's choice when no slot is given; -1 when every slot is used or kept empty.
    private int FirstFreeSlot()
    {
        for (int i = 1; i < SlotCount; i++)
        {
            if (_slots[i] is null && !_keptEmpty[i])
            {
                return i;
            }
        }
        return -1;
    }

    private PciSlotState? Target(int device, int function, int register, int length)
    {
        PciSlotState? state = function == 0 ? _slots[device] : null;
        return state is not null && register + length <= state.Function.ConfigSize ? state : null;
    }

    // First fit from the bottom of each window, aligned to the BAR's size (BARs decode naturally
    // aligned); null when the window is full.
    private ulong? AllocateInitial(PciBarDescriptor bar)
    {
        PciRootBusLayout l = Layout;
        if (bar.Kind == PciBarKind.Io)
        {
            uint at = AlignUp(_nextIo, (uint)bar.Size);
            if ((ulong)at + bar.Size > (ulong)l.IoBarBase.Value + l.IoBarSize)
            {
                return null;
            }
            _nextIo = at + (uint)bar.Size;
            return at;
        }
        if (bar.Kind == PciBarKind.Memory64 && bar.Prefetchable)
        {
            ulong at64 = AlignUp(_next64, bar.Size);
            if (at64 < _next64 || at64 - l.Memory64Base.Value > l.Memory64Size || bar.Size > l.Memory64Size - (at64 - l.Memory64Base.Value))
            {
                return null;
            }
            _next64 = at64 + bar.Size;
            return at64;
        }
        ulong at32 = AlignUp(_next32, bar.Size);
        if (at32 - l.Memory32Base.Value > l.Memory32Size || bar.Size > l.Memory32Size - (at32 - l.Memory32Base.Value))
        {
            return null;
        }
        _next32 = at32 + bar.Size;
        return at32;
    }

    // Brings every BAR of the slot to where its registers and the Command register say it
    // decodes: first off the bus wherever it stops or moves, then onto the bus where it starts or
    // moved to, so BARs of one function can trade places.
    private void RefreshDecoding(PciSlotState state)
    {
        Span<byte> command = stackalloc byte[2];
        state.Function.ReadConfig(PciConfigSpace.CommandOffset, command);
        state.Command = BinaryPrimitives.ReadUInt16LittleEndian(command);
        PciBarDescriptor[] bars = state.Bars.OfType<PciBarDescriptor>().ToArray();
        ulong?[] wanted = bars.Select(b => Decodes(state, b) ? state.Address(b) : (ulong?)null).ToArray();
        ulong?[] before = bars.Select(b => state.Decoded[b.Index]).ToArray();
        for (int i = 0; i < bars.Length; i++)
        {
            if (before[i] is ulong old && wanted[i] != old)
            {
                Unplace(bars[i], old);
                state.Decoded[bars[i].Index] = null;
            }
        }
        for (int i = 0; i < bars.Length; i++)
        {
            PciBarDescriptor bar = bars[i];
            if (wanted[i] is ulong at && state.Decoded[bar.Index] != at)
            {
                state.Decoded[bar.Index] = TryPlace(state, bar, at) ? at : null;
            }
            ulong? now = state.Decoded[bar.Index];
            if (bar.IsMemory && now != before[i])
            {
                MmioAddress? placed = now is ulong a ? new MmioAddress(a) : null;
                state.Function.MemoryBarPlaced(bar.Index, placed);
                MemoryBarPlaced?.Invoke(state.Function, bar, placed);
            }
        }
    }

    private bool Decodes(PciSlotState state, PciBarDescriptor bar)
    {
        ulong start = state.Address(bar);
        ulong end = start + bar.Size;
        if (end < start)
        {
            return false;
        }
        if (bar.Kind == PciBarKind.Io)
        {
            return (state.Command & CommandIoSpace) != 0
                && PciHostBridgeAml.IoWindows.Any(w => start >= w.First && end <= (ulong)w.Last + 1);
        }
        if ((state.Command & CommandMemorySpace) == 0)
        {
            return false;
        }
        PciRootBusLayout l = Layout;
        bool in32 = start >= l.Memory32Base.Value && end <= l.Memory32Base.Value + l.Memory32Size;
        bool in64 = start >= l.Memory64Base.Value && end - l.Memory64Base.Value <= l.Memory64Size;
        return in32 || (in64 && bar.Kind == PciBarKind.Memory64);
    }

    private bool TryPlace(PciSlotState state, PciBarDescriptor bar, ulong address)
    {
        string name = $"PCI 00:{state.Slot:x2}.0 {state.Function.Id} BAR{bar.Index}";
        var window = new PciBarWindow(state.Function, bar.Index);
        try
        {
            if (bar.Kind == PciBarKind.Io)
            {
                _pio.Insert(new PioAddress((ushort)address), bar.Size, window, name);
            }
            else
            {
                _mmio.Insert(new MmioAddress(address), bar.Size, window, name);
            }
            return true;
        }
        catch (BusConflictException e)
        {
            _warn?.Invoke($"pci: the guest put {name} where it cannot decode: {e.Message}");
            return false;
        }
    }

    private void Unplace(PciBarDescriptor bar, ulong address)
    {
        if (bar.Kind == PciBarKind.Io)
        {
            _pio.Remove(new PioAddress((ushort)address));
        }
        else
        {
            _mmio.Remove(new MmioAddress(address));
        }
    }

    private static ulong AlignUp(ulong value, ulong alignment) => (value + alignment - 1) & ~(alignment - 1);

    private static uint AlignUp(uint value, uint alignment) => (value + alignment - 1) & ~(alignment - 1);
}
