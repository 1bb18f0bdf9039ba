using System.Buffers.Binary;
using Vireo.Sys;
using Vireo.VfioUser;
using static Vireo.Vfio.Tests.KernelVfioDeviceOpenTests;

namespace Vireo.Vfio.Tests;

/// <summary>What an attached device sends for each <see cref="IVfioDevice"/> call, byte for byte
/// (the layouts are linux/vfio.h's, checked by <see cref="VfioAbiLayoutTests"/>).</summary>
public sealed class KernelVfioDeviceOperationTests
{
    private const ulong Bar0Offset = 0;
    private const ulong ConfigOffset = 7UL << 40;

    private readonly FakeVfioKernel _kernel = new();

    public KernelVfioDeviceOperationTests()
    {
        _kernel.Regions[0] = (RegionInfoFlags.Read | RegionInfoFlags.Write, 0x100, Bar0Offset, []);
        _kernel.Regions[7] = (RegionInfoFlags.Read | RegionInfoFlags.Write, 0x100, ConfigOffset, []);
    }

    [Fact]
    public void Irq_eventfds_go_as_an_irq_set_with_one_s32_per_vector()
    {
        using KernelVfioDevice device = Attach();
        using EventFd a = EventFd.Create();
        using EventFd b = EventFd.Create();

        device.SetIrqEventFds(VfioIrqIndex.Msix, 2, [a, b]);

        // argsz 28, DATA_EVENTFD|ACTION_TRIGGER 0x24, index 2, start 2, count 2, then the fds.
        byte[] expected = [.. Hex("1c000000 24000000 02000000 02000000 02000000"), .. Le(a.Handle.DangerousGetFd()), .. Le(b.Handle.DangerousGetFd())];
        Assert.Equal(expected, LastArg("VFIO_DEVICE_SET_IRQS"));
    }

    [Fact]
    public void The_irq_set_encoding_is_exact()
    {
        Assert.Equal(Hex("18000000 14000000 00000000 00000000 01000000 ffffffff"),
            KernelVfioDevice.EncodeIrqSet(IrqSetFlags.DataEventFd | IrqSetFlags.ActionUnmask, VfioIrqIndex.Intx, 0, [-1]));
    }

    [Fact]
    public void Disable_mask_and_unmask_carry_no_data()
    {
        using KernelVfioDevice device = Attach();

        device.DisableIrqs(VfioIrqIndex.Msi);
        Assert.Equal(Hex("14000000 21000000 01000000 00000000 00000000"), LastArg("VFIO_DEVICE_SET_IRQS"));
        device.MaskIrq(VfioIrqIndex.Intx);
        Assert.Equal(Hex("14000000 09000000 00000000 00000000 01000000"), LastArg("VFIO_DEVICE_SET_IRQS"));
        device.UnmaskIrq(VfioIrqIndex.Msix, 3, 2);
        Assert.Equal(Hex("14000000 11000000 02000000 03000000 02000000"), LastArg("VFIO_DEVICE_SET_IRQS"));
    }

    [Fact]
    public void The_unmask_eventfd_is_set_and_removed_with_minus_one()
    {
        using KernelVfioDevice device = Attach();
        using EventFd resample = EventFd.Create();

        device.SetIrqUnmaskEventFd(VfioIrqIndex.Intx, resample);
        Assert.Equal([.. Hex("18000000 14000000 00000000 00000000 01000000"), .. Le(resample.Handle.DangerousGetFd())], LastArg("VFIO_DEVICE_SET_IRQS"));
        device.SetIrqUnmaskEventFd(VfioIrqIndex.Intx, null);
        Assert.Equal(Hex("18000000 14000000 00000000 00000000 01000000 ffffffff"), LastArg("VFIO_DEVICE_SET_IRQS"));
    }

    [Fact]
    public void Low_power_features_are_sets_of_3_4_and_5()
    {
        _kernel.Features.UnionWith([DeviceFeatureId.LowPowerEntry, DeviceFeatureId.LowPowerEntryWithWakeup, DeviceFeatureId.LowPowerExit]);
        using KernelVfioDevice device = Attach();
        using EventFd wake = EventFd.Create();

        device.LowPowerEntry();
        Assert.Equal(Hex("08000000 03000200"), LastArg("VFIO_DEVICE_FEATURE"));
        device.LowPowerEntryWithWakeup(wake);
        Assert.Equal([.. Hex("10000000 04000200"), .. Le(wake.Handle.DangerousGetFd()), .. Hex("00000000")], LastArg("VFIO_DEVICE_FEATURE"));
        device.LowPowerExit();
        Assert.Equal(Hex("08000000 05000200"), LastArg("VFIO_DEVICE_FEATURE"));
    }

    [Fact]
    public void Probe_answers_true_when_the_kernel_accepts_and_false_on_ENOTTY()
    {
        _kernel.Features.Add(DeviceFeatureId.LowPowerEntry);
        using KernelVfioDevice device = Attach();

        Assert.True(device.ProbeFeature(DeviceFeatureId.LowPowerEntry, DeviceFeatureFlags.Set));
        Assert.Equal(Hex("08000000 03000600"), LastArg("VFIO_DEVICE_FEATURE"));
        Assert.False(device.ProbeFeature(DeviceFeatureId.LowPowerExit, DeviceFeatureFlags.Set));
    }

    [Fact]
    public void Other_feature_failures_are_not_taken_for_no()
    {
        _kernel.Failures["VFIO_DEVICE_FEATURE"] = Errno.EIO;
        using KernelVfioDevice device = Attach();

        var error = Assert.Throws<ErrnoException>(() => device.ProbeFeature(DeviceFeatureId.LowPowerEntry, DeviceFeatureFlags.Set));

        Assert.StartsWith("VFIO_DEVICE_FEATURE(LowPowerEntry) failed: EIO", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Type1_maps_and_unmaps_on_the_container_read_write()
    {
        using KernelVfioDevice device = Attach();

        device.MapDma(new VfioDmaRegion(0x100000, 0x200000, unchecked((nint)0x7f0012340000), null, 0));
        device.UnmapDma(0x100000, 0x200000);

        FakeVfioKernel.Call map = _kernel.Calls.Single(c => c.Request == "VFIO_IOMMU_MAP_DMA");
        Assert.Equal("container", map.Fd);
        Assert.Equal(Hex("20000000 03000000 00003412007f0000 0000100000000000 0000200000000000"), map.Arg);
        FakeVfioKernel.Call unmap = _kernel.Calls.Single(c => c.Request == "VFIO_IOMMU_UNMAP_DMA");
        Assert.Equal("container", unmap.Fd);
        Assert.Equal(Hex("18000000 00000000 0000100000000000 0000200000000000"), unmap.Arg);
    }

    [Fact]
    public void Iommufd_maps_at_a_fixed_iova_in_the_ioas_and_unmaps_from_it()
    {
        using KernelVfioDevice device = KernelVfioDevice.Attach(VfioDeviceFds.ForIommufd(_kernel.Adopt("iommufd"), _kernel.Adopt("cdev"), "0000:00:03.0"), _kernel, "/nonexistent");

        device.MapDma(new VfioDmaRegion(0x100000, 0x200000, unchecked((nint)0x7f0012340000), null, 0));
        device.UnmapDma(0x100000, 0x200000);

        FakeVfioKernel.Call map = _kernel.Calls.Single(c => c.Request == "IOMMU_IOAS_MAP");
        Assert.Equal("iommufd", map.Fd);
        // size 40, FIXED_IOVA|WRITEABLE|READABLE 7, ioas 5, reserved, user_va, length, iova.
        Assert.Equal(Hex("28000000 07000000 05000000 00000000 00003412007f0000 0000200000000000 0000100000000000"), map.Arg);
        Assert.Equal(Hex("18000000 05000000 0000100000000000 0000200000000000"), _kernel.Calls.Single(c => c.Request == "IOMMU_IOAS_UNMAP").Arg);
    }

    [Fact]
    public void A_map_over_the_memlock_limit_says_which_limit()
    {
        _kernel.Failures["VFIO_IOMMU_MAP_DMA"] = Errno.ENOMEM;
        using KernelVfioDevice device = Attach();

        var error = Assert.Throws<ErrnoException>(() => device.MapDma(new VfioDmaRegion(0, 0x1000, 0x10000, null, 0)));

        Assert.Equal(Errno.ENOMEM, error.Errno);
        Assert.StartsWith("VFIO_IOMMU_MAP_DMA(0x0+0x1000) (pinned guest RAM counts against RLIMIT_MEMLOCK: raise ulimit -l to the guest's RAM size) failed: ENOMEM", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_dma_region_without_a_host_mapping_is_refused()
    {
        using KernelVfioDevice device = Attach();

        Assert.Throws<ArgumentException>(() => device.MapDma(new VfioDmaRegion(0x1000, 0x1000, 0, null, 0)));
        Assert.DoesNotContain(_kernel.Calls, c => c.Request == "VFIO_IOMMU_MAP_DMA");
    }

    [Fact]
    public void Region_accesses_land_at_the_regions_offset_in_the_device_fd()
    {
        using KernelVfioDevice device = Attach();
        _kernel.DeviceFile = new byte[0x100];
        _kernel.DeviceFile[0x10] = 0xab;
        _kernel.Calls.Clear();
        _kernel.Regions[0] = (RegionInfoFlags.Read | RegionInfoFlags.Write, 0x100, Bar0Offset, []);

        Span<byte> read = stackalloc byte[2];
        device.ReadRegion(0, 0x10, read);
        device.WriteRegion(0, 0x20, [1, 2, 3, 4]);

        Assert.Equal(new byte[] { 0xab, 0 }, read.ToArray());
        Assert.Equal([("pread", (nint)0x10), ("pwrite", (nint)0x20)], _kernel.Calls.Select(c => (c.Request, c.Value)));
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, _kernel.DeviceFile[0x20..0x24]);
    }

    [Fact]
    public void The_config_region_is_read_at_index_seven_shifted_by_40()
    {
        using KernelVfioDevice device = Attach();
        _kernel.Calls.Clear();

        // The fake's file is empty there: a short read is an error, not zeros.
        var error = Assert.Throws<ErrnoException>(() => device.ReadRegion(7, 4, new byte[4]));

        Assert.Equal(unchecked((nint)(ConfigOffset + 4)), _kernel.Calls.Single().Value);
        Assert.Equal(Errno.EIO, error.Errno);
    }

    [Theory]
    [InlineData(0u, 0xfdUL, 4)]
    [InlineData(0u, 0x101UL, 1)]
    [InlineData(0u, ulong.MaxValue, 2)]
    [InlineData(1u, 0UL, 1)]
    [InlineData(9u, 0UL, 1)]
    public void Accesses_outside_a_region_are_refused_before_the_kernel_sees_them(uint region, ulong offset, int length)
    {
        using KernelVfioDevice device = Attach();
        _kernel.Calls.Clear();

        var error = Assert.Throws<ErrnoException>(() => device.WriteRegion(region, offset, new byte[length]));

        Assert.Equal(Errno.EINVAL, error.Errno);
        Assert.Empty(_kernel.Calls);
    }

    [Fact]
    public void Region_info_with_capabilities_is_asked_again_with_the_room_the_kernel_wants()
    {
        // BAR2: MSIX_MAPPABLE then a sparse area, as vfio-pci describes an MSI-X BAR.
        byte[] caps = [.. Hex("0300 0100 28000000"), .. Hex("0100 0100 00000000 01000000 00000000"), .. Hex("0020000000000000 0010000000000000")];
        _kernel.Regions[2] = (RegionInfoFlags.Read | RegionInfoFlags.Write | RegionInfoFlags.Mmap, 0x4000, 2UL << 40, caps);
        using KernelVfioDevice device = Attach();
        _kernel.Calls.Clear();

        RegionInfo info = device.GetRegionInfo(2, out SafeFd? fd);

        using (fd)
        {
            Assert.Equal([32u, 72u], _kernel.Calls.Select(c => BinaryPrimitives.ReadUInt32LittleEndian(c.Arg)));
            Assert.Equal([new SparseMmapArea(0x2000, 0x1000)], info.SparseAreas!);
            Assert.Equal(2UL << 40, info.Offset);
            Assert.NotNull(fd);
            Assert.Equal("dup of device", _kernel.LabelOf(fd.DangerousGetFd()));
        }
    }

    [Fact]
    public void A_region_info_asking_for_absurd_room_is_refused()
    {
        using KernelVfioDevice device = Attach();
        _kernel.Regions[3] = (RegionInfoFlags.Read, 0x1000, 3UL << 40, new byte[70_000]);

        var error = Assert.Throws<ErrnoException>(() => device.GetRegionInfo(3, out _));

        Assert.Equal(Errno.E2BIG, error.Errno);
    }

    [Fact]
    public void A_region_that_cannot_be_mapped_comes_without_an_fd()
    {
        using KernelVfioDevice device = Attach();

        RegionInfo info = device.GetRegionInfo(7, out SafeFd? fd);

        Assert.Null(fd);
        Assert.Equal(0x100UL, info.Size);
        Assert.Empty(device.GetRegionIoEventFds(7));
    }

    [Fact]
    public void The_acpi_notify_irq_is_probed_at_index_5_when_the_device_has_that_many()
    {
        _kernel.NumIrqs = 6;
        _kernel.Irqs[5] = (IrqInfoFlags.EventFd, 1);

        using KernelVfioDevice device = Attach();

        Assert.True(device.HasAcpiNotifyIrq);
        Assert.Equal(Hex("10000000 00000000 05000000 00000000"), LastArg("VFIO_DEVICE_GET_IRQ_INFO"));
    }

    [Fact]
    public void No_acpi_notify_irq_on_a_stock_kernel_and_no_probe_past_num_irqs()
    {
        using KernelVfioDevice device = Attach();

        Assert.False(device.HasAcpiNotifyIrq);
        Assert.DoesNotContain(_kernel.Calls, c => c.Request == "VFIO_DEVICE_GET_IRQ_INFO");
    }

    [Fact]
    public void Irq_info_and_reset_go_to_the_device()
    {
        _kernel.Irqs[0] = (IrqInfoFlags.EventFd | IrqInfoFlags.Maskable | IrqInfoFlags.AutoMasked, 1);
        using KernelVfioDevice device = Attach();

        Assert.Equal(new IrqInfo(16, IrqInfoFlags.EventFd | IrqInfoFlags.Maskable | IrqInfoFlags.AutoMasked, 0, 1), device.GetIrqInfo(0));
        device.Reset();
        Assert.Equal("device VFIO_DEVICE_RESET", _kernel.Requests.Last());
    }

    [Fact]
    public void Dispose_closes_the_device_group_and_container()
    {
        VfioDeviceFds fds = VfioDeviceFds.ForGroup(_kernel.Adopt("container"), _kernel.Adopt("group"), "0000:00:03.0", 7);
        KernelVfioDevice device = KernelVfioDevice.Attach(fds, _kernel, "/nonexistent");

        device.Dispose();

        Assert.True(fds.First.IsClosed);
        Assert.True(fds.Second.IsClosed);
    }

    private static byte[] Le(int value)
    {
        byte[] bytes = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
        return bytes;
    }

    private byte[] LastArg(string request) => _kernel.Calls.Last(c => c.Request == request).Arg;

    private KernelVfioDevice Attach()
        => KernelVfioDevice.Attach(VfioDeviceFds.ForGroup(_kernel.Adopt("container"), _kernel.Adopt("group"), "0000:00:03.0", 7), _kernel, "/nonexistent");
}
