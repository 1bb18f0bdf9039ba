using System.Buffers.Binary;
using Vireo.Acpi;
using Vireo.Memory;
using Vireo.Pci;
using Vireo.TestSupport;

namespace Vireo.Devices.Tests;

public sealed class PciRootBusTests
{
    private const uint HostBridgeIds = 0x0008_1b36;
    private const uint EchoIds = ((uint)EchoPciFunction.DeviceId << 16) | EchoPciFunction.VendorId;

    [Fact]
    public void Linux_type1_probe_finds_config_address_and_a_host_bridge()
    {
        var t = new PciTestBus();
        // arch/x86/pci/direct.c pci_check_type1: a byte to 0xCFB first, then the dword dance.
        t.Out(0xcfb, 0x01, 1);
        uint saved = t.InL(0xcf8);
        t.OutL(0xcf8, 0x8000_0000);
        Assert.Equal(0x8000_0000u, t.InL(0xcf8));
        t.OutL(0xcf8, saved);
        Assert.Equal(0u, saved);
        // pci_sanity_check: a host bridge class (0x0600) at 00.0.
        Assert.Equal(0x0600u, t.Cf8Read(0, 0x0a, width: 2));
        Assert.Equal(HostBridgeIds, t.Cf8Read(0, 0));
        // Reserved bits of CONFIG_ADDRESS read back as zero; narrow reads of it are not CONFIG_ADDRESS.
        t.OutL(0xcf8, 0xffff_ffff);
        Assert.Equal(0x80ff_fffcu, t.InL(0xcf8));
        Assert.Equal(0xffffUL, t.In(0xcf8, 2));
    }

    [Fact]
    public void Ecam_and_config_ports_see_the_same_config_space()
    {
        var t = new PciTestBus();
        var echo = new EchoPciFunction();
        Assert.Equal(1, t.Root.Attach(echo));

        Assert.Equal(HostBridgeIds, (uint)t.EcamRead(0, 0));
        Assert.Equal(EchoIds, t.Cf8Read(1, 0));
        Assert.Equal(EchoIds, (uint)t.EcamRead(1, 0));
        // Byte and word lanes of CONFIG_DATA and of ECAM.
        Assert.Equal((uint)EchoPciFunction.DeviceId, t.Cf8Read(1, 2, width: 2));
        Assert.Equal(0xffu, t.Cf8Read(1, 0x0b, width: 1));
        Assert.Equal(0xffUL, t.EcamRead(1, 0x0b, width: 1));
        Assert.Equal(1UL, t.EcamRead(1, PciConfigSpace.InterruptPinOffset, width: 1));
        // A write through one mechanism is read back through the other.
        t.EcamWrite(1, PciConfigSpace.InterruptLineOffset, 0x0b, width: 1);
        Assert.Equal(0x0bu, t.Cf8Read(1, PciConfigSpace.InterruptLineOffset, width: 1));
    }

    [Fact]
    public void The_vmm_reads_config_space_by_slot_as_the_guest_does()
    {
        var t = new PciTestBus();
        t.Root.Attach(new EchoPciFunction(), slot: 4);
        Span<byte> dword = stackalloc byte[4];
        Span<byte> word = stackalloc byte[2];

        t.Root.ReadConfig(4, 0, dword);
        Assert.Equal(EchoIds, BinaryPrimitives.ReadUInt32LittleEndian(dword));
        t.Root.ReadConfig(4, 2, word);
        Assert.Equal(EchoPciFunction.DeviceId, BinaryPrimitives.ReadUInt16LittleEndian(word));
        // BAR 0 comes from the root, placed at the bottom of the 32-bit window.
        t.Root.ReadConfig(4, 0x10, dword);
        Assert.Equal(0xc000_0000u, BinaryPrimitives.ReadUInt32LittleEndian(dword));
        t.Root.ReadConfig(0, 0, dword);
        Assert.Equal(HostBridgeIds, BinaryPrimitives.ReadUInt32LittleEndian(dword));
        t.Root.ReadConfig(9, 0, dword);
        Assert.Equal(uint.MaxValue, BinaryPrimitives.ReadUInt32LittleEndian(dword));
        Assert.Throws<ArgumentException>(() => t.Root.ReadConfig(4, 2, new byte[4]));
        Assert.Throws<ArgumentException>(() => t.Root.ReadConfig(4, 0, new byte[3]));
        Assert.Throws<ArgumentOutOfRangeException>(() => t.Root.ReadConfig(32, 0, new byte[4]));
    }

    [Fact]
    public void Nothing_there_reads_all_ones_and_drops_writes()
    {
        var t = new PciTestBus();
        var echo = new EchoPciFunction();
        t.Root.Attach(echo, slot: 5);

        Assert.Equal(uint.MaxValue, t.Cf8Read(2, 0));                 // empty slot
        Assert.Equal(uint.MaxValue, (uint)t.EcamRead(31, 0));         // empty slot through ECAM
        Assert.Equal(uint.MaxValue, t.Cf8Read(5, 0, function: 1));    // no multifunction
        Assert.Equal(uint.MaxValue, (uint)t.EcamRead(5, 0, function: 7));
        Assert.Equal(uint.MaxValue, t.Cf8Read(5, 0, bus: 1));         // bus 0 only
        // Past a conventional function's 256 bytes (Linux probes 0x100 for extended capabilities).
        Assert.Equal(uint.MaxValue, (uint)t.EcamRead(5, 0x100));
        // Enable bit clear.
        t.OutL(0xcf8, PciTestBus.Address(5, 0) & 0x7fff_ffff);
        Assert.Equal(uint.MaxValue, t.InL(0xcfc));
        // Unaligned accesses are not config accesses.
        t.OutL(0xcf8, PciTestBus.Address(5, 0));
        Assert.Equal(0xffffUL, t.In(0xcfd, 2));
        Assert.Equal(uint.MaxValue, (uint)t.EcamRead(5, 2, width: 4));
        // A write to an empty slot reaches nobody: the function's interrupt line is untouched.
        t.Cf8Write(2, PciConfigSpace.InterruptLineOffset, 0x55, width: 1);
        Assert.Equal(0u, t.Cf8Read(5, PciConfigSpace.InterruptLineOffset, width: 1));
    }

    [Fact]
    public void An_extended_config_function_is_reachable_past_256_bytes_through_ecam_only()
    {
        var t = new PciTestBus();
        var echo = new EchoPciFunction(configSize: PciConfigSpace.ExtendedSize);
        t.Root.Attach(echo);
        echo.Config.SetU32(0x100, 0x0001_0001);

        Assert.Equal(0x0001_0001UL, t.EcamRead(1, 0x100));
        Assert.Equal(0UL, t.EcamRead(1, 0xffc));
    }

    [Fact]
    public void Attach_places_every_bar_in_its_window_and_enables_decoding_as_firmware_does()
    {
        var t = new PciTestBus();
        var echo = new EchoPciFunction();
        int slot = t.Root.Attach(echo);

        ulong bar0 = t.Root.BarAddress(slot, 0)!.Value;
        ulong bar2 = t.Root.BarAddress(slot, 2)!.Value;
        ulong bar4 = t.Root.BarAddress(slot, 4)!.Value;
        Assert.InRange(bar0, 0xc000_0000UL, 0xdfff_ffffUL);
        Assert.Equal(0UL, bar0 % EchoPciFunction.Bar0Size);
        Assert.Equal(0x1_0000_0000UL, bar2);
        Assert.Equal(0x1000UL, bar4);
        Assert.Null(t.Root.BarAddress(slot, 1));
        // The registers say the same, with their type bits.
        Assert.Equal((uint)bar0, t.Cf8Read(slot, 0x10));
        Assert.Equal(0x0000_000cu, t.Cf8Read(slot, 0x18));        // 64-bit (0x4) prefetchable (0x8), low half
        Assert.Equal(1u, t.Cf8Read(slot, 0x1c));                  // high half
        Assert.Equal(0x1001u, t.Cf8Read(slot, 0x20));             // I/O (bit 0)
        Assert.Equal(3u, t.Cf8Read(slot, PciConfigSpace.CommandOffset, width: 2) & 3);
        Assert.Equal([(0, (MmioAddress?)new MmioAddress(bar0)), (2, new MmioAddress(bar2))], echo.Placements.OrderBy(p => p.Bar));

        // Guest accesses reach the function at BAR-relative offsets.
        Assert.True(t.MmioWrite(bar0 + 0x10, 0xcafe_f00d, 4));
        Assert.Equal(0xcafe_f00dUL, t.MmioRead(bar0 + 0x10, 4));
        Assert.True(t.MmioWrite(bar2 + 0x3ff8, 0x1122_3344_5566_7788, 8));
        Assert.Equal(0x1122_3344_5566_7788UL, t.MmioRead(bar2 + 0x3ff8, 8));
        t.Out(0x1004, 0xab, 1);
        Assert.Equal(0xabUL, t.In(0x1004, 1));
        Assert.Contains((true, 0, 0x10UL, new byte[] { 0x0d, 0xf0, 0xfe, 0xca }), echo.Accesses, AccessComparer.Instance);
        Assert.Contains(echo.Accesses, a => a is { Write: true, Bar: 4, Offset: 4 });
    }

    [Fact]
    public void Sizing_reads_back_the_size_and_type_and_the_rom_reads_zero()
    {
        var t = new PciTestBus();
        t.Root.Attach(new EchoPciFunction());
        for (int register = 0x10; register <= 0x30; register += 4)
        {
            t.Cf8Write(1, register, uint.MaxValue);
        }

        Assert.Equal(0xffff_f000u, t.Cf8Read(1, 0x10));  // 4 KiB, 32-bit
        Assert.Equal(0u, t.Cf8Read(1, 0x14));            // unimplemented
        Assert.Equal(0xffff_c00cu, t.Cf8Read(1, 0x18));  // 16 KiB, 64-bit prefetchable
        Assert.Equal(0xffff_ffffu, t.Cf8Read(1, 0x1c));  // its upper half
        Assert.Equal(0xffff_ffe1u, t.Cf8Read(1, 0x20));  // 32 ports, I/O
        Assert.Equal(0u, t.Cf8Read(1, 0x24));
        Assert.Equal(0u, t.Cf8Read(1, 0x30));            // no expansion ROM
        // The host bridge has no BARs at all.
        t.Cf8Write(0, 0x10, uint.MaxValue);
        Assert.Equal(0u, t.Cf8Read(0, 0x10));
    }

    [Fact]
    public void Sizing_with_decoding_on_takes_the_bar_off_the_bus_until_it_is_back_in_a_window()
    {
        var t = new PciTestBus();
        var echo = new EchoPciFunction();
        t.Root.Attach(echo);
        ulong bar0 = t.Root.BarAddress(1, 0)!.Value;

        t.Cf8Write(1, 0x10, uint.MaxValue);   // 0xfffff000 is outside every window
        Assert.Null(t.Root.BarAddress(1, 0));
        Assert.Equal(ulong.MaxValue >> 32, t.MmioRead(bar0, 4));
        t.Cf8Write(1, 0x10, (uint)bar0);
        Assert.Equal(bar0, t.Root.BarAddress(1, 0));
        Assert.Equal([new MmioAddress(bar0), null, new MmioAddress(bar0)], echo.Placements.Where(p => p.Bar == 0).Select(p => p.Address));
    }

    [Fact]
    public void The_guest_moves_bars_and_the_command_register_turns_decoding_off_and_on()
    {
        var t = new PciTestBus();
        var echo = new EchoPciFunction();
        t.Root.Attach(echo);
        ulong oldBar0 = t.Root.BarAddress(1, 0)!.Value;
        ulong oldBar2 = t.Root.BarAddress(1, 2)!.Value;

        // As Linux's pci_read_bases: memory and I/O decoding off while it moves them.
        ushort command = (ushort)t.Cf8Read(1, PciConfigSpace.CommandOffset, width: 2);
        t.Cf8Write(1, PciConfigSpace.CommandOffset, (uint)(command & ~3), width: 2);
        Assert.Null(t.Root.BarAddress(1, 0));
        Assert.Null(t.Root.BarAddress(1, 2));
        Assert.Null(t.Root.BarAddress(1, 4));
        Assert.False(t.MmioWrite(oldBar0, 1, 4));

        t.Cf8Write(1, 0x10, 0xd000_0000);
        t.EcamWrite(1, 0x18, 0x0000_0000);   // the 64-bit BAR to 0x2_0000_0000, low half then high
        t.EcamWrite(1, 0x1c, 0x0000_0002);
        t.Cf8Write(1, 0x20, 0x2000, width: 2);
        Assert.Null(t.Root.BarAddress(1, 0));
        t.Cf8Write(1, PciConfigSpace.CommandOffset, command, width: 2);

        Assert.Equal(0xd000_0000UL, t.Root.BarAddress(1, 0));
        Assert.Equal(0x2_0000_0000UL, t.Root.BarAddress(1, 2));
        Assert.Equal(0x2000UL, t.Root.BarAddress(1, 4));
        Assert.True(t.MmioWrite(0xd000_0008, 0x77, 1));
        Assert.Equal(0x77UL, t.MmioRead(0xd000_0008, 1));
        Assert.False(t.MmioWrite(oldBar2, 1, 4));
        Assert.True(t.MmioWrite(0x2_0000_0000, 1, 4));
        Assert.Equal((2, (MmioAddress?)new MmioAddress(0x2_0000_0000)), echo.Placements[^1]);
        // Only the memory space off: the I/O BAR stays where it is.
        t.Cf8Write(1, PciConfigSpace.CommandOffset, (uint)(command & ~2), width: 2);
        Assert.Null(t.Root.BarAddress(1, 0));
        Assert.Equal(0x2000UL, t.Root.BarAddress(1, 4));
    }

    [Fact]
    public void A_bar_programmed_over_another_device_or_outside_the_windows_does_not_decode()
    {
        var t = new PciTestBus();
        var first = new EchoPciFunction("first");
        var second = new EchoPciFunction("second");
        t.Root.Attach(first);
        t.Root.Attach(second);
        ulong firstBar0 = t.Root.BarAddress(1, 0)!.Value;

        t.Cf8Write(2, 0x10, (uint)firstBar0);         // on top of the other function's BAR
        Assert.Null(t.Root.BarAddress(2, 0));
        Assert.Contains(t.Warnings, w => w.Contains("second BAR0", StringComparison.Ordinal) && w.Contains("overlaps", StringComparison.Ordinal));
        Assert.Equal(firstBar0, t.Root.BarAddress(1, 0));
        t.Cf8Write(2, 0x20, 0x0cf0, width: 2);        // would cover CONFIG_ADDRESS: outside the I/O windows
        Assert.Null(t.Root.BarAddress(2, 4));
        t.Cf8Write(2, 0x10, 0x8000_0000);             // RAM, below the 32-bit window
        Assert.Null(t.Root.BarAddress(2, 0));
        t.Cf8Write(2, 0x10, 0xe000_0000);             // the ECAM window
        Assert.Null(t.Root.BarAddress(2, 0));
        t.EcamWrite(2, 0x18, 0xc010_0000);            // a 64-bit BAR may live in the 32-bit window
        t.EcamWrite(2, 0x1c, 0);
        Assert.Equal(0xc010_0000UL, t.Root.BarAddress(2, 2));
        // And the first function still answers.
        Assert.True(t.MmioWrite(firstBar0, 5, 4));
        Assert.Equal(5UL, t.MmioRead(firstBar0, 4));
    }

    [Fact]
    public void Attach_refuses_what_the_bus_cannot_hold()
    {
        var t = new PciTestBus();
        t.Root.Attach(new EchoPciFunction("a"), slot: 3);
        Assert.Throws<ArgumentException>(() => t.Root.Attach(new EchoPciFunction("b"), slot: 3));
        Assert.Throws<ArgumentException>(() => t.Root.Attach(new EchoPciFunction("b"), slot: 0));
        Assert.Throws<ArgumentException>(() => t.Root.Attach(new EchoPciFunction("b"), slot: 32));
        Assert.Throws<ArgumentException>(() => t.Root.Attach(new EchoPciFunction("a")));
        for (int i = 0; i < 30; i++)
        {
            t.Root.Attach(new EchoPciFunction($"n{i}"));
        }
        Assert.Throws<ArgumentException>(() => t.Root.Attach(new EchoPciFunction("full")));
        Assert.Equal(32, t.Root.Functions.Count);
    }

    [Fact]
    public void Detach_takes_the_function_off_the_bus_as_a_removed_card()
    {
        var t = new PciTestBus();
        var echo = new EchoPciFunction("gone");
        var other = new EchoPciFunction("stays");
        Assert.Equal(3, t.Root.Attach(echo, slot: 3));
        Assert.Equal(4, t.Root.Attach(other, slot: 4));
        ulong bar0 = t.Root.BarAddress(3, 0)!.Value;
        ulong bar2 = t.Root.BarAddress(3, 2)!.Value;
        var placed = new List<(string Id, int Bar, MmioAddress? At)>();
        t.Root.MemoryBarPlaced += (f, bar, at) => placed.Add((f.Id, bar.Index, at));
        int placementsBefore = echo.Placements.Count;
        int accessesBefore = echo.Accesses.Count;

        Assert.Same(echo, t.Root.Detach(3));

        // Config space through both mechanisms is that of an empty slot; writes go nowhere.
        Assert.Equal(uint.MaxValue, t.Cf8Read(3, 0));
        Assert.Equal(uint.MaxValue, (uint)t.EcamRead(3, 0));
        Assert.Equal(uint.MaxValue, t.Cf8Read(3, 0x10));
        t.Cf8Write(3, PciConfigSpace.CommandOffset, 0, width: 2);
        Span<byte> dword = stackalloc byte[4];
        t.Root.ReadConfig(3, 0, dword);
        Assert.Equal(uint.MaxValue, BinaryPrimitives.ReadUInt32LittleEndian(dword));
        // Its BARs are off the buses, and both the function and the VMM were told of each memory BAR.
        Assert.False(t.MmioWrite(bar0, 1, 4));
        Assert.False(t.MmioWrite(bar2, 1, 4));
        Assert.DoesNotContain(t.Mmio.Devices, d => d.Name.Contains("gone", StringComparison.Ordinal));
        Assert.DoesNotContain(t.Pio.Devices, d => d.Name.Contains("gone", StringComparison.Ordinal));
        Assert.Equal([(0, (MmioAddress?)null), (2, null)], echo.Placements.Skip(placementsBefore).OrderBy(p => p.Bar));
        Assert.Equal([("gone", 0, (MmioAddress?)null), ("gone", 2, null)], placed.OrderBy(p => p.Bar));
        Assert.Null(t.Root.BarAddress(3, 0));
        Assert.Null(t.Root.FunctionAt(3));
        Assert.DoesNotContain(t.Root.Functions, f => f.Function == echo);
        // The function itself was not touched by the detach or by the accesses after it.
        Assert.Equal(accessesBefore, echo.Accesses.Count);
        Span<byte> command = stackalloc byte[2];
        echo.ReadConfig(PciConfigSpace.CommandOffset, command);
        Assert.Equal(3, BinaryPrimitives.ReadUInt16LittleEndian(command) & 3);
        // The neighbour is untouched.
        Assert.Equal(EchoIds, t.Cf8Read(4, 0));
        Assert.True(t.MmioWrite(t.Root.BarAddress(4, 0)!.Value, 7, 4));

        // Nothing is left to detach, and the host bridge never leaves.
        Assert.Null(t.Root.Detach(3));
        Assert.Null(t.Root.Detach(9));
        Assert.Null(t.Root.Detach(0));
        Assert.Equal(HostBridgeIds, t.Cf8Read(0, 0));
        // The slot stays empty: nothing is attached there again.
        Assert.Throws<ArgumentException>(() => t.Root.Attach(new EchoPciFunction("again"), slot: 3));
        Assert.Equal(1, t.Root.Attach(new EchoPciFunction("first-free")));
    }

    [Fact]
    public void A_slot_kept_empty_is_skipped_by_attach_so_the_others_keep_their_slots()
    {
        var t = new PciTestBus();
        // As a rebuilt machine does for a function its guest ejected: the slot it would get stays empty.
        Assert.Equal(1, t.Root.KeepEmpty());
        Assert.Equal(2, t.Root.Attach(new EchoPciFunction("b")));
        Assert.Equal(5, t.Root.KeepEmpty(5));
        Assert.Equal(3, t.Root.Attach(new EchoPciFunction("c")));

        Assert.Equal(uint.MaxValue, t.Cf8Read(1, 0));
        Assert.Equal(uint.MaxValue, t.Cf8Read(5, 0));
        Assert.Throws<ArgumentException>(() => t.Root.Attach(new EchoPciFunction("d"), slot: 5));
        Assert.Throws<ArgumentException>(() => t.Root.KeepEmpty(2));
        Assert.Throws<ArgumentException>(() => t.Root.KeepEmpty(0));
        Assert.Equal([0, 2, 3], t.Root.Functions.Select(f => f.Slot));
    }

    [Fact]
    public void Slot_devices_appear_in_the_host_bridge_aml_and_can_be_extended()
    {
        var t = new PciTestBus();
        t.Root.Attach(new EchoPciFunction(), slot: 7);
        t.Root.SlotAml(7).Add(new AmlName("_S0W", new AmlInteger(3)));
        Assert.Throws<ArgumentException>(() => t.Root.SlotAml(6));
        Assert.Throws<ArgumentException>(() => t.Root.SlotAml(0));

        var sink = new AmlSink();
        t.Root.AppendTo(sink);
        byte[] aml = sink.ToArray();
        Assert.Equal("\\_SB.PCI0.S07_", t.Root.SlotAml(7).Path);
        Assert.True(aml.AsSpan().IndexOf("S07_"u8) > 0);
        Assert.True(aml.AsSpan().IndexOf("_S0W"u8) > aml.AsSpan().IndexOf("S07_"u8));
        Assert.Equal(-1, aml.AsSpan().IndexOf("S00_"u8));
        Assert.Equal(17u, t.Root.IntxGsi(0, 1));
        Assert.Equal(16u, t.Root.IntxGsi(7, 1));
        Assert.Equal(new McfgAllocation(0xe000_0000, 0, 0, 0), t.Root.McfgAllocation);
    }

    private sealed class AccessComparer : IEqualityComparer<(bool Write, int Bar, ulong Offset, byte[] Data)>
    {
        public static readonly AccessComparer Instance = new();

        public bool Equals((bool Write, int Bar, ulong Offset, byte[] Data) x, (bool Write, int Bar, ulong Offset, byte[] Data) y) =>
            x.Write == y.Write && x.Bar == y.Bar && x.Offset == y.Offset && x.Data.AsSpan().SequenceEqual(y.Data);

        public int GetHashCode((bool Write, int Bar, ulong Offset, byte[] Data) obj) => HashCode.Combine(obj.Write, obj.Bar, obj.Offset);
    }
}
