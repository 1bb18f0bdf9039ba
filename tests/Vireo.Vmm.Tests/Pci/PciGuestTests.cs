using Vireo.Memory;
using Vireo.Pci;
using Vireo.TestSupport;

namespace Vireo.Vmm.Tests;

/// <summary>Guest code reads and writes PCI config space and a BAR through real vCPU exits, on
/// the root bus the builder puts in every machine.</summary>
public sealed class PciGuestTests
{
    [KvmFact]
    public void Guest_code_reads_vendor_ids_through_config_ports_and_ecam_and_reaches_a_bar()
    {
        using var kvm = Vireo.Kvm.KvmSystem.Open();
        var echo = new EchoPciFunction();
        using BuiltMachine built = MachineBuilder.BuildBare(kvm, new MachineConfig
        {
            MemoryBytes = 4UL << 20,
            InKernelIrqchip = false,
            PciFunctions = [new PciAttachment(echo, Slot: 1)],
        });
        // The builder's layout: the 32-bit window at 0xC0000000 (BAR 0 first there), ECAM at 0xE0000000.
        Assert.Equal(0xc000_0000UL, built.Pci.BarAddress(1, 0));
        Assert.Equal(0xe000_0000UL, built.Pci.Layout.EcamBase.Value);
        TestGuest.LoadLongMode(built.Machine,
        [
            0x66, 0xba, 0xf8, 0x0c,                         // mov dx, 0xcf8
            0xb8, 0x00, 0x00, 0x00, 0x80,                   // mov eax, 0x80000000 (00:00.0, register 0)
            0xef,                                           // out dx, eax
            0x66, 0xba, 0xfc, 0x0c,                         // mov dx, 0xcfc
            0xed,                                           // in eax, dx
            0x89, 0x04, 0x25, 0x00, 0x30, 0x00, 0x00,       // mov [0x3000], eax
            0x66, 0xba, 0xf8, 0x0c,                         // mov dx, 0xcf8
            0xb8, 0x00, 0x08, 0x00, 0x80,                   // mov eax, 0x80000800 (00:01.0, register 0)
            0xef,                                           // out dx, eax
            0x66, 0xba, 0xfc, 0x0c,                         // mov dx, 0xcfc
            0xed,                                           // in eax, dx
            0x89, 0x04, 0x25, 0x04, 0x30, 0x00, 0x00,       // mov [0x3004], eax
            0xbb, 0x00, 0x80, 0x00, 0xe0,                   // mov ebx, 0xe0008000 (ECAM 00:01.0)
            0x8b, 0x03,                                     // mov eax, [rbx]
            0x89, 0x04, 0x25, 0x08, 0x30, 0x00, 0x00,       // mov [0x3008], eax
            0xc6, 0x43, 0x3c, 0x0b,                         // mov byte [rbx+0x3c], 0x0b (Interrupt Line)
            0xbb, 0x00, 0x00, 0x01, 0xe0,                   // mov ebx, 0xe0010000 (ECAM 00:02.0, empty)
            0x8b, 0x03,                                     // mov eax, [rbx]
            0x89, 0x04, 0x25, 0x0c, 0x30, 0x00, 0x00,       // mov [0x300c], eax
            0xbb, 0x00, 0x00, 0x00, 0xc0,                   // mov ebx, 0xc0000000 (BAR 0)
            0xc7, 0x43, 0x10, 0x0d, 0xf0, 0xfe, 0xca,       // mov dword [rbx+0x10], 0xcafef00d
            0x8b, 0x43, 0x10,                               // mov eax, [rbx+0x10]
            0x89, 0x04, 0x25, 0x10, 0x30, 0x00, 0x00,       // mov [0x3010], eax
            0xf4,                                           // hlt
        ]);

        MachineExit exit = TestGuest.RunToExit(built.Machine);

        Assert.Equal(MachineExitReason.Halted, exit.Reason);
        GuestMemory memory = built.Machine.Memory;
        Assert.Equal(0x0008_1b36u, memory.Read<uint>(new GuestAddress(0x3000)));
        uint echoIds = ((uint)EchoPciFunction.DeviceId << 16) | EchoPciFunction.VendorId;
        Assert.Equal(echoIds, memory.Read<uint>(new GuestAddress(0x3004)));
        Assert.Equal(echoIds, memory.Read<uint>(new GuestAddress(0x3008)));
        Assert.Equal(uint.MaxValue, memory.Read<uint>(new GuestAddress(0x300c)));
        Assert.Equal(0xcafe_f00du, memory.Read<uint>(new GuestAddress(0x3010)));
        Assert.Equal(0x0b, echo.Config.ReadU16(PciConfigSpace.InterruptLineOffset) & 0xff);
        Assert.Equal([(true, 0, 0x10UL), (false, 0, 0x10UL)], echo.Accesses.Select(a => (a.Write, a.Bar, a.Offset)));
    }

    [KvmFact]
    public void A_bars_mmap_area_is_guest_memory_that_follows_the_bar_when_the_guest_moves_it()
    {
        using var kvm = Vireo.Kvm.KvmSystem.Open();
        using var shared = new SharedMemoryPciFunction();
        using BuiltMachine built = MachineBuilder.BuildBare(kvm, new MachineConfig
        {
            MemoryBytes = 4UL << 20,
            InKernelIrqchip = false,
            PciFunctions = [new PciAttachment(shared, Slot: 1)],
        });
        Assert.Equal(0xc000_0000UL, built.Pci.BarAddress(1, 0));
        TestGuest.LoadLongMode(built.Machine,
        [
            0xbb, 0x00, 0x00, 0x00, 0xc0,                               // mov ebx, 0xc0000000 (BAR 0)
            0xc7, 0x83, 0x00, 0x10, 0x00, 0x00, 0x44, 0x33, 0x22, 0x11, // mov dword [rbx+0x1000], 0x11223344 (mapped)
            0xc7, 0x43, 0x10, 0x88, 0x77, 0x66, 0x55,                   // mov dword [rbx+0x10], 0x55667788 (trapped)
            0x8b, 0x83, 0x00, 0x10, 0x00, 0x00,                         // mov eax, [rbx+0x1000]
            0x89, 0x04, 0x25, 0x00, 0x30, 0x00, 0x00,                   // mov [0x3000], eax
            0x66, 0xba, 0xf8, 0x0c,                                     // mov dx, 0xcf8
            0xb8, 0x10, 0x08, 0x00, 0x80,                               // mov eax, 0x80000810 (00:01.0 BAR 0)
            0xef,                                                       // out dx, eax
            0x66, 0xba, 0xfc, 0x0c,                                     // mov dx, 0xcfc
            0xb8, 0x00, 0x00, 0x10, 0xc0,                               // mov eax, 0xc0100000
            0xef,                                                       // out dx, eax (the BAR moves)
            0xbb, 0x00, 0x00, 0x10, 0xc0,                               // mov ebx, 0xc0100000
            0xc7, 0x83, 0x04, 0x10, 0x00, 0x00, 0xcc, 0xbb, 0xaa, 0x99, // mov dword [rbx+0x1004], 0x99aabbcc (mapped, new place)
            0xbb, 0x00, 0x00, 0x00, 0xc0,                               // mov ebx, 0xc0000000
            0x8b, 0x83, 0x00, 0x10, 0x00, 0x00,                         // mov eax, [rbx+0x1000] (old place: nothing)
            0x89, 0x04, 0x25, 0x04, 0x30, 0x00, 0x00,                   // mov [0x3004], eax
            0xf4,                                                       // hlt
        ]);

        MachineExit exit = TestGuest.RunToExit(built.Machine);

        Assert.Equal(MachineExitReason.Halted, exit.Reason);
        byte[] page = new byte[8];
        shared.Bar.ReadMemory(0x1000, page);
        Assert.Equal(0x11223344u, BitConverter.ToUInt32(page, 0));
        Assert.Equal(0x99aabbccu, BitConverter.ToUInt32(page, 4));
        Assert.Equal(0x11223344u, built.Machine.Memory.Read<uint>(new GuestAddress(0x3000)));
        Assert.Equal(uint.MaxValue, built.Machine.Memory.Read<uint>(new GuestAddress(0x3004)));
        // Only the trapped page exited; the area was mapped once and moved, not mapped again.
        Assert.Equal([(true, 0x10UL)], shared.Trapped);
        Assert.Equal(1, shared.MapCalls);
        Assert.Equal(0xc010_0000UL, built.Pci.BarAddress(1, 0));
    }

    [KvmTheory]
    [InlineData("throw")]
    [InlineData("short")]
    public void An_area_the_backend_fails_to_map_stays_trapped_and_is_reported(string fault)
    {
        using var kvm = Vireo.Kvm.KvmSystem.Open();
        using var shared = new SharedMemoryPciFunction { MapFault = fault };
        var warnings = new List<string>();
        using BuiltMachine built = MachineBuilder.BuildBare(kvm, new MachineConfig
        {
            MemoryBytes = 4UL << 20,
            InKernelIrqchip = false,
            PciFunctions = [new PciAttachment(shared, Slot: 1)],
        }, w => { lock (warnings) { warnings.Add(w); } });
        TestGuest.LoadLongMode(built.Machine,
        [
            0xbb, 0x00, 0x00, 0x00, 0xc0,                               // mov ebx, 0xc0000000 (BAR 0)
            0xc7, 0x83, 0x00, 0x10, 0x00, 0x00, 0x44, 0x33, 0x22, 0x11, // mov dword [rbx+0x1000], 0x11223344
            0xf4,                                                       // hlt
        ]);

        MachineExit exit = TestGuest.RunToExit(built.Machine);

        Assert.Equal(MachineExitReason.Halted, exit.Reason);
        Assert.Equal([(true, 0x1000UL)], shared.Trapped);
        byte[] value = new byte[4];
        shared.Bar.ReadMemory(0x1000, value);
        Assert.Equal(0x11223344u, BitConverter.ToUInt32(value));
        Assert.Contains(warnings, w => w.Contains("shared BAR0", StringComparison.Ordinal) && w.Contains("stays trapped", StringComparison.Ordinal));
    }

    [Fact]
    public void A_function_the_bus_cannot_take_fails_the_build_with_its_name()
    {
        var config = new LinuxVmConfig
        {
            KernelPath = "unused",
            PciFunctions = [new PciAttachment(new EchoPciFunction("one"), Slot: 3), new PciAttachment(new EchoPciFunction("two"), Slot: 3)],
        };
        MachineBuildException e = Assert.Throws<MachineBuildException>(() => MachineBuilder.LinuxAcpiTables(config));
        Assert.Contains("two", e.Message, StringComparison.Ordinal);
        Assert.Contains("slot 3", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Attached_functions_get_a_slot_device_in_the_dsdt()
    {
        var config = new LinuxVmConfig { KernelPath = "unused", PciFunctions = [new PciAttachment(new EchoPciFunction(), Slot: 4)] };
        byte[] dsdt = MachineBuilder.LinuxAcpiTables(config).Dsdt.ToBytes();
        Assert.True(dsdt.AsSpan().IndexOf("S04_"u8) > dsdt.AsSpan().IndexOf("PCI0"u8));
        Assert.True(MachineBuilder.LinuxAcpiTables(config with { PciFunctions = [] }).Dsdt.ToBytes().AsSpan().IndexOf("S04_"u8) < 0);
    }
}
