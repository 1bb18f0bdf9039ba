using System.Buffers.Binary;
using Vireo.Memory;
using Vireo.Pci;
using Vireo.Sys;
using Vireo.TestSupport;

namespace Vireo.Vmm.Tests;

/// <summary>The PCI glue is one for every <see cref="VfioUser.IVfioDevice"/> backend: a device
/// that behaves as kernel VFIO does (private RAM pinned by host address, a device file to mmap,
/// no ioeventfds) is built, bound and reached by guest code like a vfio-user one.</summary>
public sealed class KernelLikeVfioPciTests
{
    [Fact]
    public void A_device_file_region_is_mapped_without_the_memfd_size_check()
    {
        var device = new KernelLikeVfioDevice();
        using VfioPciFunction fn = VfioPciFunction.Open(device, "edu");
        PciBarDescriptor bar2 = fn.Bars.Single(b => b.Index == 2);

        // /dev/zero reports size 0: a sized-file check would refuse it, as it must refuse a short memfd.
        using MappedMemory mapping = fn.MapArea(2, Assert.Single(bar2.MmapAreas));

        Assert.Equal("vfio (test)", fn.Backend);
        Assert.False(fn.NeedsSharedMemory);
        Assert.Equal(KernelLikeVfioDevice.Vendor, fn.VendorId);
    }

    [KvmFact]
    public void Guest_ram_stays_private_and_is_dma_mapped_by_host_address_and_guest_code_reaches_bar0()
    {
        var device = new KernelLikeVfioDevice();
        using VfioPciFunction fn = VfioPciFunction.Open(device, "edu");
        using var kvm = Vireo.Kvm.KvmSystem.Open();
        using BuiltMachine built = MachineBuilder.BuildBare(kvm, new MachineConfig
        {
            MemoryBytes = 4UL << 20,
            InKernelIrqchip = true,
            PciFunctions = [new PciAttachment(fn, Slot: 3)],
        });
        uint bar0 = checked((uint)built.Pci.BarAddress(3, 0)!.Value);
        byte[] code =
        [
            0xbb, .. Le(bar0),                              // mov ebx, BAR0
            0x8b, 0x03,                                     // mov eax, [rbx] (identification)
            0x89, 0x04, 0x25, .. Le(0x3000),                // mov [0x3000], eax
            0xc7, 0x43, 0x04, .. Le(0x1234_5678),           // mov dword [rbx+4], 0x12345678
            0x66, 0xba, .. Le16(Pm1Control),                // mov dx, PM1a_CNT
            0x66, 0xb8, .. Le16(SleepS5),                   // mov ax, SLP_TYP=S5 | SLP_EN
            0x66, 0xef,                                     // out dx, ax
            0xf4,                                           // hlt (not reached)
        ];
        TestGuest.LoadLongMode(built.Machine, code);

        MachineExit exit = TestGuest.RunToExit(built.Machine);

        Assert.Equal(MachineExitReason.PowerOff, exit.Reason);
        Assert.Equal(KernelLikeVfioDevice.IdRegister, built.Machine.Memory.Read<uint>(new GuestAddress(0x3000)));
        Assert.Equal(0x1234_5678u, device.Bar0Register(4));
        // Every RAM region was given by its host mapping, with no memfd behind it.
        GuestRegion[] ram = [.. built.Machine.Memory.Regions];
        Assert.Equal(ram.Length, device.Mapped.Count);
        Assert.All(ram, r => Assert.Null(r.Fd));
        Assert.Equal(
            ram.Select(r => (r.Start.Value, r.Size, r.DangerousGetHostAddress())),
            device.Mapped.Select(m => (m.Iova, m.Size, m.HostAddress)));
        Assert.Equal("vfio (test)", Assert.Single(built.DescribePciDevices(), d => d.Backend != "emulated").Backend);
    }

    [KvmFact]
    public void Switching_between_intx_and_msi_disables_the_old_index_before_enabling_the_new_one()
    {
        var device = new KernelLikeVfioDevice();
        using VfioPciFunction fn = VfioPciFunction.Open(device, "edu");
        using var kvm = Vireo.Kvm.KvmSystem.Open();
        using BuiltMachine built = MachineBuilder.BuildBare(kvm, new MachineConfig
        {
            MemoryBytes = 4UL << 20,
            InKernelIrqchip = true,
            PciFunctions = [new PciAttachment(fn, Slot: 3)],
        });
        Assert.Equal(VfioUser.VfioIrqIndex.Intx, device.Live);
        device.IrqLog.Clear();

        // The guest enables MSI (control bit 0), then turns it off again.
        fn.WriteConfig(0x42, [0x01, 0x00]);
        Assert.Equal(VfioUser.VfioIrqIndex.Msi, device.Live);
        fn.WriteConfig(0x42, [0x00, 0x00]);

        Assert.Equal(["disable Intx", "set Msi", "disable Msi", "set Intx", "unmask-fd Intx"], device.IrqLog);
        Assert.Equal(VfioUser.VfioIrqIndex.Intx, device.Live);
        Assert.True(fn.IsAlive);
    }

    private static readonly ushort Pm1Control = checked((ushort)(AcpiPlatform.DefaultPmBase.Value + Vireo.Devices.AcpiPmDevice.Pm1ControlOffset));
    private const ushort SleepS5 = (Vireo.Devices.AcpiPmDevice.S5SleepType << 10) | (1 << 13);

    private static byte[] Le16(ushort value) => [(byte)value, (byte)(value >> 8)];

    private static byte[] Le(uint value)
    {
        byte[] bytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        return bytes;
    }
}
