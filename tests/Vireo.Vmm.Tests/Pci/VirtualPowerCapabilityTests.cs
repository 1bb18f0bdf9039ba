using System.Buffers.Binary;
using Vireo.Memory;
using Vireo.Pci;
using Vireo.Vmm.Tests.Interrupts;

namespace Vireo.Vmm.Tests;

/// <summary>A device without a PCI PM capability (QEMU's edu) gets the VMM's own in the config
/// shadow, at the head of its capability list, so a Linux guest's pci_pm_init finds one and lets
/// the device reach D3cold through its slot; the bytes are the VMM's alone. Over
/// <see cref="KernelLikeVfioDevice"/>, which logs every config region access.</summary>
public sealed class VirtualPowerCapabilityTests
{
    private const byte PmId = PciConfigSpace.PowerManagementCapabilityId;
    private const byte MsiId = PciConfigSpace.MsiCapabilityId;
    private const int MsiControl = 0x42;

    [Fact]
    public void A_device_with_msi_only_gets_the_capability_linked_at_the_head_of_its_list()
    {
        // edu's layout: a 64-bit MSI capability (14 bytes) at 0x40 and nothing else.
        var device = new KernelLikeVfioDevice(c => c[MsiControl] = 0x80);
        using VfioPciFunction fn = VfioPciFunction.Open(device, "edu");

        Assert.Equal(0x50, fn.VirtualPowerManagementOffset);
        Assert.Empty(fn.Warnings);
        Assert.Equal(0x50, ReadConfig8(fn, PciConfigSpace.CapabilityPointerOffset));
        Assert.Equal([(0x50, PmId), (0x40, MsiId)], WalkList(fn));
        // ID 01, Next 40; PMC version 3 (PM 1.2), no D1/D2, PME from D3hot and D3cold (the
        // device offers LOW_POWER_ENTRY_WITH_WAKEUP: its wake is the slot's wake GPE); PMCSR D0
        // with No_Soft_Reset.
        Assert.True(fn.VirtualPowerManagementWakes);
        Assert.Equal(0xc003_4001u, ReadConfig32(fn, 0x50));
        Assert.Equal(0x0000_0008u, ReadConfig32(fn, 0x54));
        // The device's own list is untouched behind it.
        Assert.Equal(0x0080_0005u, ReadConfig32(fn, 0x40));
    }

    [Fact]
    public void A_list_walked_as_linux_walks_it_has_exactly_one_pm_capability_of_version_3()
    {
        var device = new KernelLikeVfioDevice();
        using VfioPciFunction fn = VfioPciFunction.Open(device, "edu");

        List<(int Offset, byte Id)> found = LinuxCapabilities(fn);

        (int pm, _) = Assert.Single(found, c => c.Id == PmId);
        Assert.Equal(fn.VirtualPowerManagementOffset, pm);
        Assert.Equal(3, ReadConfig16(fn, pm + 2) & 7);
        Assert.Equal([PmId, MsiId], found.Select(c => c.Id));
        // A 32-bit MSI is 10 bytes: the next free dword is 0x4c.
        Assert.Equal(0x4c, pm);
    }

    [Fact]
    public void A_device_without_a_capability_list_reads_capabilities_list_set_and_its_own_interrupt_status()
    {
        var device = new KernelLikeVfioDevice(c =>
        {
            c[PciConfigSpace.StatusOffset] = 0;
            c[PciConfigSpace.CapabilityPointerOffset] = 0;
            c[0x40] = 0;
        });
        using VfioPciFunction fn = VfioPciFunction.Open(device, "plain");

        Assert.Equal(0x40, fn.VirtualPowerManagementOffset);
        Assert.Equal(0x0010, ReadConfig16(fn, PciConfigSpace.StatusOffset));
        Assert.Equal([(0x40, PmId)], WalkList(fn));
        Assert.Equal(0, ReadConfig8(fn, 0x41)); // the list ends there

        // Interrupt Status (bit 3) is still the device's, at every width.
        device.SetConfig(PciConfigSpace.StatusOffset, 0x08);
        Assert.Equal(0x0018, ReadConfig16(fn, PciConfigSpace.StatusOffset));
        Assert.Equal(0x18, ReadConfig8(fn, PciConfigSpace.StatusOffset));
        Assert.Equal(0x0018u, ReadConfig32(fn, PciConfigSpace.CommandOffset) >> 16);
        device.SetConfig(PciConfigSpace.StatusOffset, 0x00);
        Assert.Equal(0x0010, ReadConfig16(fn, PciConfigSpace.StatusOffset));

        // A write to Status (its RW1C error bits) reaches the device as written.
        device.ConfigWrites.Clear();
        WriteConfig16(fn, PciConfigSpace.StatusOffset, 0xf900);
        (int offset, byte[] data) = Assert.Single(device.ConfigWrites);
        Assert.Equal(PciConfigSpace.StatusOffset, offset);
        Assert.Equal([0x00, 0xf9], data);
    }

    [Fact]
    public void Pmcsr_takes_d0_and_d3hot_and_ignores_d1_d2_and_the_read_only_bits()
    {
        // A device that cannot wake: no PME_Support, so PME_En is read-only too.
        var device = new KernelLikeVfioDevice { OffersWakeup = false };
        using VfioPciFunction fn = VfioPciFunction.Open(device, "edu");
        int pmcsr = fn.VirtualPowerManagementOffset + 4;

        WriteConfig16(fn, pmcsr, 0x0003);
        Assert.Equal(0x000b, ReadConfig16(fn, pmcsr));
        WriteConfig16(fn, pmcsr, 0x0001); // D1: not offered, ignored
        Assert.Equal(0x000b, ReadConfig16(fn, pmcsr));
        WriteConfig8(fn, pmcsr, 0x02); // D2: likewise
        Assert.Equal(0x000b, ReadConfig16(fn, pmcsr));
        WriteConfig16(fn, pmcsr, 0x0000);
        Assert.Equal(0x0008, ReadConfig16(fn, pmcsr));
        // PME_En, PME_Status, Data_Select and No_Soft_Reset do not move; D3hot does.
        WriteConfig32(fn, pmcsr, 0xffff_fff7);
        Assert.Equal(0x0000_000bu, ReadConfig32(fn, pmcsr));
        // ID, Next and PMC are read-only.
        WriteConfig32(fn, fn.VirtualPowerManagementOffset, 0xffff_ffff);
        Assert.Equal(0x0003_4001u, ReadConfig32(fn, fn.VirtualPowerManagementOffset));
        WriteConfig8(fn, PciConfigSpace.CapabilityPointerOffset, 0x80);
        Assert.Equal(fn.VirtualPowerManagementOffset, ReadConfig8(fn, PciConfigSpace.CapabilityPointerOffset));
    }

    [Fact]
    public void A_device_that_can_wake_offers_pme_from_d3_and_pme_en_is_writable_while_pme_status_stays_clear()
    {
        var device = new KernelLikeVfioDevice();
        using VfioPciFunction fn = VfioPciFunction.Open(device, "edu");
        int at = fn.VirtualPowerManagementOffset;
        Assert.True(fn.VirtualPowerManagementWakes);
        Assert.Equal(0xc003, ReadConfig16(fn, at + 2));

        // The guest arms the wake (PME_En) and clears PME_Status (write 1), as pci_pme_active does.
        WriteConfig16(fn, at + 4, 0x8103);
        Assert.Equal(0x010b, ReadConfig16(fn, at + 4));
        WriteConfig16(fn, at + 4, 0x8000);
        Assert.Equal(0x0008, ReadConfig16(fn, at + 4));

        // Without the wakeup form the same device offers no PME.
        using VfioPciFunction plain = VfioPciFunction.Open(new KernelLikeVfioDevice { OffersWakeup = false }, "plain");
        Assert.False(plain.VirtualPowerManagementWakes);
        Assert.Equal(0x0003, ReadConfig16(plain, plain.VirtualPowerManagementOffset + 2));
    }

    [Fact]
    public void The_virtual_bytes_are_never_read_from_or_written_to_the_device()
    {
        var device = new KernelLikeVfioDevice(c => c[MsiControl] = 0x80);
        using VfioPciFunction fn = VfioPciFunction.Open(device, "edu");
        int pm = fn.VirtualPowerManagementOffset;
        device.ConfigReads.Clear();
        device.ConfigWrites.Clear();

        for (int at = pm; at < pm + 8; at += 4)
        {
            _ = ReadConfig32(fn, at);
            _ = ReadConfig16(fn, at + 2);
            _ = ReadConfig8(fn, at + 1);
            WriteConfig32(fn, at, 0xffff_ffff);
            WriteConfig16(fn, at, 0x0003);
            WriteConfig8(fn, at + 3, 0xff);
        }
        Assert.Empty(device.ConfigReads);
        Assert.Empty(device.ConfigWrites);

        // An access across the edge reaches the device for its own bytes only: 0x4e-0x4f here.
        _ = ReadConfig32(fn, pm - 2);
        WriteConfig32(fn, pm - 2, 0x0003_1234);
        Assert.Equal([(pm - 2, 2)], device.ConfigReads);
        (int offset, byte[] data) = Assert.Single(device.ConfigWrites);
        Assert.Equal(pm - 2, offset);
        Assert.Equal([0x34, 0x12], data);
        Assert.Equal(0x4001, ReadConfig16(fn, pm)); // its ID and Next did not take the write's upper half

        // The Capabilities Pointer the device has is read-only there and gets its own value back.
        device.ConfigWrites.Clear();
        WriteConfig32(fn, PciConfigSpace.CapabilityPointerOffset, 0);
        (offset, data) = Assert.Single(device.ConfigWrites);
        Assert.Equal(PciConfigSpace.CapabilityPointerOffset, offset);
        Assert.Equal([0x40, 0, 0, 0], data);
    }

    [Fact]
    public void A_device_with_its_own_pm_capability_is_unchanged()
    {
        var device = new KernelLikeVfioDevice(c =>
        {
            c[0x41] = 0x50; // MSI → PM
            c[0x50] = PmId;
            c[0x52] = 0x03; // PMC version 3
            c[0x54] = 0x08; // PMCSR D0, No_Soft_Reset
        });
        using VfioPciFunction fn = VfioPciFunction.Open(device, "pm");

        Assert.Equal(0, fn.VirtualPowerManagementOffset);
        Assert.Empty(fn.Warnings);
        Assert.Equal([(0x40, MsiId), (0x50, PmId)], WalkList(fn));
        Assert.Equal(0x40, ReadConfig8(fn, PciConfigSpace.CapabilityPointerOffset));
        // Its PMCSR is the device's: reads and writes reach it.
        device.ConfigReads.Clear();
        device.ConfigWrites.Clear();
        WriteConfig16(fn, 0x54, 0x0003);
        Assert.Equal(0x0008, ReadConfig16(fn, 0x54));
        Assert.Equal([(0x54, 2)], device.ConfigReads);
        Assert.Equal(0x54, Assert.Single(device.ConfigWrites).Offset);
    }

    [Fact]
    public void A_device_that_leaves_no_safe_room_gets_no_capability_and_a_warning_that_names_it()
    {
        // A 32-bit MSI at 0x40, and the device reads non-zero everywhere after it.
        var device = new KernelLikeVfioDevice(c => c.AsSpan(0x4a).Fill(0xa5));
        using VfioPciFunction fn = VfioPciFunction.Open(device, "crowded");

        Assert.Equal(0, fn.VirtualPowerManagementOffset);
        string warning = Assert.Single(fn.Warnings);
        Assert.Contains("'crowded'", warning, StringComparison.Ordinal);
        Assert.Contains("no PCI power management capability", warning, StringComparison.Ordinal);
        Assert.Contains("D3hot", warning, StringComparison.Ordinal);
        Assert.Equal([(0x40, MsiId)], WalkList(fn));
        Assert.Equal(0xa5a5_a5a5u, ReadConfig32(fn, 0x80));
    }

    [Fact]
    public void Opening_a_device_says_what_the_vmm_added_and_what_it_could_not()
    {
        var log = new List<string>();
        using VfioPciFunction edu = VfioPciFunction.Open(new KernelLikeVfioDevice(c => c[MsiControl] = 0x80), "edu");
        using VfioPciFunction crowded = VfioPciFunction.Open(new KernelLikeVfioDevice(c => c.AsSpan(0x4a).Fill(0xa5)), "crowded");

        PciDeviceFactory.Announce(edu, log.Add, acpiSlots: true);
        PciDeviceFactory.Announce(crowded, log.Add, acpiSlots: true);
        PciDeviceFactory.Announce(edu, log.Add, acpiSlots: false);

        Assert.Collection(
            log,
            line =>
            {
                Assert.StartsWith("device 'edu': no PCI power management capability; the guest sees Vireo's at 0x50", line, StringComparison.Ordinal);
                Assert.EndsWith("so it can power the device off through its slot", line, StringComparison.Ordinal);
            },
            line => Assert.StartsWith("warning: vfio (test) device 'crowded' has no PCI power management capability", line, StringComparison.Ordinal),
            // arm64: no slot power resource or wake GPE in a device tree, so none is promised.
            line => Assert.Equal("device 'edu': no PCI power management capability; the guest sees Vireo's at 0x50 (D0 and D3hot); " +
                "a device-tree guest has no ACPI slot to power it off or wake it through", line));
    }

    [Fact]
    public void A_reboot_returns_the_capability_to_d0()
    {
        var device = new KernelLikeVfioDevice();
        using VfioPciFunction fn = VfioPciFunction.Open(device, "edu");
        int pmcsr = fn.VirtualPowerManagementOffset + 4;
        using var interrupts = new DeviceInterrupts(new FakeKvmInterrupts());
        using GuestMemory memory = GuestMemory.Create((new GuestAddress(0), 0x10_0000UL));
        var host = new PciFunctionHost
        {
            Interrupts = interrupts,
            Memory = memory,
            Slot = 3,
            IntxGsi = 10,
            AddIoEventFd = (_, _, _, _) => throw new InvalidOperationException("the device has no ioeventfds"),
            DeviceLost = reason => throw new InvalidOperationException(reason),
        };
        fn.Bind(host);
        WriteConfig16(fn, pmcsr, 0x0003);
        Assert.Equal(0x000b, ReadConfig16(fn, pmcsr));

        fn.Unbind();

        Assert.Equal(0x0008, ReadConfig16(fn, pmcsr));
        Assert.Equal(fn.VirtualPowerManagementOffset, ReadConfig8(fn, PciConfigSpace.CapabilityPointerOffset));
        fn.Bind(host);
        Assert.Equal(0x0008, ReadConfig16(fn, pmcsr));
        fn.Unbind();
    }

    [Theory]
    // Known sizes: PM 8, 32-bit MSI 10, 64-bit maskable MSI 24, MSI-X 12, PCI Express 60.
    [InlineData(new[] { 0x40, 0x01 }, 0x48)]
    [InlineData(new[] { 0x40, 0x05 }, 0x4c)]
    [InlineData(new[] { 0x40, 0x11 }, 0x4c)]
    [InlineData(new[] { 0x40, 0x10 }, 0x7c)]
    // Two known ones with a gap between them: the gap.
    [InlineData(new[] { 0x40, 0x11, 0x60, 0x01 }, 0x4c)]
    // One of unknown size reaches the next capability above it...
    [InlineData(new[] { 0x40, 0x07, 0x60, 0x11 }, 0x6c)]
    // ...or 64 bytes when it is the highest.
    [InlineData(new[] { 0x40, 0x07 }, 0x80)]
    [InlineData(new[] { 0x40, 0x01, 0x48, 0x13 }, 0x88)]
    public void Free_space_lies_outside_every_capability_known_or_not(int[] capabilities, int expected)
    {
        byte[] header = new byte[PciConfigSpace.StandardSize];
        var list = new List<(int Offset, byte Id)>();
        for (int i = 0; i < capabilities.Length; i += 2)
        {
            header[capabilities[i]] = (byte)capabilities[i + 1];
            list.Add((capabilities[i], (byte)capabilities[i + 1]));
        }

        Assert.Equal(expected, VfioPciFunction.FindFreeCapabilitySpace(header, list, 8));
    }

    [Fact]
    public void Free_space_follows_a_vendor_capabilitys_length_and_skips_bytes_the_device_does_not_read_as_zero()
    {
        byte[] header = new byte[PciConfigSpace.StandardSize];
        header[0x40] = 0x09;
        header[0x42] = 0x14; // vendor-specific, 20 bytes: 0x40-0x53
        header[0x58] = 0x01; // something outside the list at 0x58
        List<(int Offset, byte Id)> list = [(0x40, 0x09)];

        Assert.Equal(0x5c, VfioPciFunction.FindFreeCapabilitySpace(header, list, 8));

        // A vendor capability whose length byte is too small for its own header counts as unknown.
        header[0x42] = 0x01;
        Assert.Equal(0x80, VfioPciFunction.FindFreeCapabilitySpace(header, list, 8));

        // Nothing reads zero past the header: no room.
        header.AsSpan(0x40).Fill(0xff);
        Assert.Equal(0, VfioPciFunction.FindFreeCapabilitySpace(header, [], 8));
    }

    /// <summary>The list from the Capabilities Pointer as the guest reads it, offset and ID.</summary>
    private static List<(int Offset, byte Id)> WalkList(VfioPciFunction fn)
    {
        var list = new List<(int Offset, byte Id)>();
        if ((ReadConfig16(fn, PciConfigSpace.StatusOffset) & 0x10) == 0)
        {
            return list;
        }
        int at = ReadConfig8(fn, PciConfigSpace.CapabilityPointerOffset) & 0xfc;
        while (at != 0 && list.Count < 48)
        {
            list.Add((at, ReadConfig8(fn, at)));
            at = ReadConfig8(fn, at + 1) & 0xfc;
        }
        return list;
    }

    /// <summary>Every capability Linux's pci_find_capability could return, walked its way: Status
    /// read as a word for Capabilities List, the pointer byte at 0x34, then each entry read as a
    /// word at its dword-aligned place, stopping below 0x40, at ID 0xff or after 48 steps.</summary>
    private static List<(int Offset, byte Id)> LinuxCapabilities(VfioPciFunction fn)
    {
        var found = new List<(int Offset, byte Id)>();
        if ((ReadConfig16(fn, PciConfigSpace.StatusOffset) & 0x10) == 0)
        {
            return found;
        }
        int pos = ReadConfig8(fn, PciConfigSpace.CapabilityPointerOffset);
        for (int ttl = 48; ttl > 0; ttl--)
        {
            if (pos < 0x40)
            {
                break;
            }
            pos &= ~3;
            ushort entry = ReadConfig16(fn, pos);
            byte id = (byte)entry;
            if (id == 0xff)
            {
                break;
            }
            found.Add((pos, id));
            pos = entry >> 8;
        }
        return found;
    }

    private static byte ReadConfig8(VfioPciFunction fn, int offset)
    {
        Span<byte> data = stackalloc byte[1];
        fn.ReadConfig(offset, data);
        return data[0];
    }

    private static ushort ReadConfig16(VfioPciFunction fn, int offset)
    {
        Span<byte> data = stackalloc byte[2];
        fn.ReadConfig(offset, data);
        return BinaryPrimitives.ReadUInt16LittleEndian(data);
    }

    private static uint ReadConfig32(VfioPciFunction fn, int offset)
    {
        Span<byte> data = stackalloc byte[4];
        fn.ReadConfig(offset, data);
        return BinaryPrimitives.ReadUInt32LittleEndian(data);
    }

    private static void WriteConfig8(VfioPciFunction fn, int offset, byte value) => fn.WriteConfig(offset, [value]);

    private static void WriteConfig16(VfioPciFunction fn, int offset, ushort value)
    {
        Span<byte> data = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(data, value);
        fn.WriteConfig(offset, data);
    }

    private static void WriteConfig32(VfioPciFunction fn, int offset, uint value)
    {
        Span<byte> data = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(data, value);
        fn.WriteConfig(offset, data);
    }
}
