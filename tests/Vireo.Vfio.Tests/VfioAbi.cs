using Vireo.TestSupport;
using Vireo.VfioUser;

namespace Vireo.Vfio.Tests;

/// <summary>Every kernel struct, request number and constant Vireo.Vfio uses, paired with its C name.
/// "Prefix" structs are extensible ones that later kernels grew: Vireo sends the part every kernel
/// knows (argsz = its size), so each field must sit where C has it and C may be longer. A header
/// whose C struct ends in a flexible data[] is exact: C's sizeof is the header, where data starts.</summary>
internal static class VfioAbi
{
    public static readonly CStructLayout[] Exact =
    [
        CStructLayout.Of<VfioGroupStatus>("struct vfio_group_status")
            .Field("argsz", (ref VfioGroupStatus s) => ref s.Argsz).Field("flags", (ref VfioGroupStatus s) => ref s.Flags),
        CStructLayout.Of<VfioRegionInfoAbi>("struct vfio_region_info")
            .Field("argsz", (ref VfioRegionInfoAbi s) => ref s.Argsz).Field("flags", (ref VfioRegionInfoAbi s) => ref s.Flags)
            .Field("index", (ref VfioRegionInfoAbi s) => ref s.Index).Field("cap_offset", (ref VfioRegionInfoAbi s) => ref s.CapOffset)
            .Field("size", (ref VfioRegionInfoAbi s) => ref s.Size).Field("offset", (ref VfioRegionInfoAbi s) => ref s.Offset),
        CStructLayout.Of<VfioInfoCapHeader>("struct vfio_info_cap_header")
            .Field("id", (ref VfioInfoCapHeader s) => ref s.Id).Field("version", (ref VfioInfoCapHeader s) => ref s.Version)
            .Field("next", (ref VfioInfoCapHeader s) => ref s.Next),
        CStructLayout.Of<VfioIrqInfoAbi>("struct vfio_irq_info")
            .Field("argsz", (ref VfioIrqInfoAbi s) => ref s.Argsz).Field("flags", (ref VfioIrqInfoAbi s) => ref s.Flags)
            .Field("index", (ref VfioIrqInfoAbi s) => ref s.Index).Field("count", (ref VfioIrqInfoAbi s) => ref s.Count),
        CStructLayout.Of<VfioIrqSetHeader>("struct vfio_irq_set")
            .Field("argsz", (ref VfioIrqSetHeader s) => ref s.Argsz).Field("flags", (ref VfioIrqSetHeader s) => ref s.Flags)
            .Field("index", (ref VfioIrqSetHeader s) => ref s.Index).Field("start", (ref VfioIrqSetHeader s) => ref s.Start)
            .Field("count", (ref VfioIrqSetHeader s) => ref s.Count),
        CStructLayout.Of<VfioDeviceFeatureHeader>("struct vfio_device_feature")
            .Field("argsz", (ref VfioDeviceFeatureHeader s) => ref s.Argsz).Field("flags", (ref VfioDeviceFeatureHeader s) => ref s.Flags),
        CStructLayout.Of<VfioLowPowerEntryWithWakeup>("struct vfio_device_low_power_entry_with_wakeup")
            .Field("wakeup_eventfd", (ref VfioLowPowerEntryWithWakeup s) => ref s.WakeupEventFd)
            .Field("reserved", (ref VfioLowPowerEntryWithWakeup s) => ref s.Reserved),
        CStructLayout.Of<VfioIommuType1DmaMap>("struct vfio_iommu_type1_dma_map")
            .Field("argsz", (ref VfioIommuType1DmaMap s) => ref s.Argsz).Field("flags", (ref VfioIommuType1DmaMap s) => ref s.Flags)
            .Field("vaddr", (ref VfioIommuType1DmaMap s) => ref s.Vaddr).Field("iova", (ref VfioIommuType1DmaMap s) => ref s.Iova)
            .Field("size", (ref VfioIommuType1DmaMap s) => ref s.Size),
        CStructLayout.Of<VfioIommuType1DmaUnmap>("struct vfio_iommu_type1_dma_unmap")
            .Field("argsz", (ref VfioIommuType1DmaUnmap s) => ref s.Argsz).Field("flags", (ref VfioIommuType1DmaUnmap s) => ref s.Flags)
            .Field("iova", (ref VfioIommuType1DmaUnmap s) => ref s.Iova).Field("size", (ref VfioIommuType1DmaUnmap s) => ref s.Size),
    ];

    public static readonly CStructLayout[] Prefix =
    [
        CStructLayout.Of<VfioDeviceInfoAbi>("struct vfio_device_info")
            .Field("argsz", (ref VfioDeviceInfoAbi s) => ref s.Argsz).Field("flags", (ref VfioDeviceInfoAbi s) => ref s.Flags)
            .Field("num_regions", (ref VfioDeviceInfoAbi s) => ref s.NumRegions).Field("num_irqs", (ref VfioDeviceInfoAbi s) => ref s.NumIrqs),
    ];

    public static readonly CStructLayout[] IommufdExact =
    [
        CStructLayout.Of<IommuIoasAlloc>("struct iommu_ioas_alloc")
            .Field("size", (ref IommuIoasAlloc s) => ref s.Size).Field("flags", (ref IommuIoasAlloc s) => ref s.Flags)
            .Field("out_ioas_id", (ref IommuIoasAlloc s) => ref s.OutIoasId),
        CStructLayout.Of<IommuIoasMap>("struct iommu_ioas_map")
            .Field("size", (ref IommuIoasMap s) => ref s.Size).Field("flags", (ref IommuIoasMap s) => ref s.Flags)
            .Field("ioas_id", (ref IommuIoasMap s) => ref s.IoasId).Field("__reserved", (ref IommuIoasMap s) => ref s.Reserved)
            .Field("user_va", (ref IommuIoasMap s) => ref s.UserVa).Field("length", (ref IommuIoasMap s) => ref s.Length)
            .Field("iova", (ref IommuIoasMap s) => ref s.Iova),
        CStructLayout.Of<IommuIoasUnmap>("struct iommu_ioas_unmap")
            .Field("size", (ref IommuIoasUnmap s) => ref s.Size).Field("ioas_id", (ref IommuIoasUnmap s) => ref s.IoasId)
            .Field("iova", (ref IommuIoasUnmap s) => ref s.Iova).Field("length", (ref IommuIoasUnmap s) => ref s.Length),
    ];

    public static readonly CStructLayout[] IommufdPrefix =
    [
        CStructLayout.Of<VfioDeviceBindIommufd>("struct vfio_device_bind_iommufd")
            .Field("argsz", (ref VfioDeviceBindIommufd s) => ref s.Argsz).Field("flags", (ref VfioDeviceBindIommufd s) => ref s.Flags)
            .Field("iommufd", (ref VfioDeviceBindIommufd s) => ref s.Iommufd).Field("out_devid", (ref VfioDeviceBindIommufd s) => ref s.OutDevid),
        CStructLayout.Of<VfioDeviceAttachIommufdPt>("struct vfio_device_attach_iommufd_pt")
            .Field("argsz", (ref VfioDeviceAttachIommufdPt s) => ref s.Argsz).Field("flags", (ref VfioDeviceAttachIommufdPt s) => ref s.Flags)
            .Field("pt_id", (ref VfioDeviceAttachIommufdPt s) => ref s.PtId),
    ];

    public static readonly (string Macro, nuint Value)[] Ioctls =
    [
        ("VFIO_GET_API_VERSION", VfioIoctls.GetApiVersion),
        ("VFIO_CHECK_EXTENSION", VfioIoctls.CheckExtension),
        ("VFIO_SET_IOMMU", VfioIoctls.SetIommu),
        ("VFIO_GROUP_GET_STATUS", VfioIoctls.GroupGetStatus),
        ("VFIO_GROUP_SET_CONTAINER", VfioIoctls.GroupSetContainer),
        ("VFIO_GROUP_UNSET_CONTAINER", VfioIoctls.GroupUnsetContainer),
        ("VFIO_GROUP_GET_DEVICE_FD", VfioIoctls.GroupGetDeviceFd),
        ("VFIO_DEVICE_GET_INFO", VfioIoctls.DeviceGetInfo),
        ("VFIO_DEVICE_GET_REGION_INFO", VfioIoctls.DeviceGetRegionInfo),
        ("VFIO_DEVICE_GET_IRQ_INFO", VfioIoctls.DeviceGetIrqInfo),
        ("VFIO_DEVICE_SET_IRQS", VfioIoctls.DeviceSetIrqs),
        ("VFIO_DEVICE_RESET", VfioIoctls.DeviceReset),
        ("VFIO_IOMMU_MAP_DMA", VfioIoctls.IommuMapDma),
        ("VFIO_IOMMU_UNMAP_DMA", VfioIoctls.IommuUnmapDma),
        ("VFIO_DEVICE_FEATURE", VfioIoctls.DeviceFeature),
    ];

    public static readonly (string Macro, nuint Value)[] IommufdIoctls =
    [
        ("VFIO_DEVICE_BIND_IOMMUFD", VfioIoctls.DeviceBindIommufd),
        ("VFIO_DEVICE_ATTACH_IOMMUFD_PT", VfioIoctls.DeviceAttachIommufdPt),
        ("IOMMU_IOAS_ALLOC", VfioIoctls.IommuIoasAlloc),
        ("IOMMU_IOAS_MAP", VfioIoctls.IommuIoasMap),
        ("IOMMU_IOAS_UNMAP", VfioIoctls.IommuIoasUnmap),
    ];

    public static readonly (string Macro, ulong Value)[] Constants =
    [
        ("VFIO_TYPE", VfioIoctls.VfioType),
        ("VFIO_BASE", VfioIoctls.VfioBase),
        ("VFIO_API_VERSION", VfioConstants.ApiVersion),
        ("VFIO_TYPE1_IOMMU", VfioConstants.Type1Iommu),
        ("VFIO_TYPE1v2_IOMMU", VfioConstants.Type1v2Iommu),
        ("VFIO_GROUP_FLAGS_VIABLE", VfioConstants.GroupFlagsViable),
        ("VFIO_GROUP_FLAGS_CONTAINER_SET", VfioConstants.GroupFlagsContainerSet),
        ("VFIO_DMA_MAP_FLAG_READ", VfioConstants.DmaMapFlagRead),
        ("VFIO_DMA_MAP_FLAG_WRITE", VfioConstants.DmaMapFlagWrite),
        ("VFIO_REGION_INFO_CAP_SPARSE_MMAP", RegionInfo.SparseMmapCapId),
        ("VFIO_REGION_INFO_CAP_TYPE", VfioConstants.RegionInfoCapType),
        ("VFIO_REGION_INFO_CAP_MSIX_MAPPABLE", VfioConstants.RegionInfoCapMsixMappable),
        ("VFIO_REGION_INFO_FLAG_READ", (ulong)RegionInfoFlags.Read),
        ("VFIO_REGION_INFO_FLAG_WRITE", (ulong)RegionInfoFlags.Write),
        ("VFIO_REGION_INFO_FLAG_MMAP", (ulong)RegionInfoFlags.Mmap),
        ("VFIO_REGION_INFO_FLAG_CAPS", (ulong)RegionInfoFlags.Caps),
        ("VFIO_DEVICE_FLAGS_RESET", (ulong)DeviceInfoFlags.Reset),
        ("VFIO_DEVICE_FLAGS_PCI", (ulong)DeviceInfoFlags.Pci),
        ("VFIO_IRQ_INFO_NORESIZE", (ulong)IrqInfoFlags.NoResize),
        ("VFIO_IRQ_SET_DATA_NONE", (ulong)IrqSetFlags.DataNone),
        ("VFIO_IRQ_SET_DATA_BOOL", (ulong)IrqSetFlags.DataBool),
        ("VFIO_IRQ_SET_DATA_EVENTFD", (ulong)IrqSetFlags.DataEventFd),
        ("VFIO_IRQ_SET_ACTION_MASK", (ulong)IrqSetFlags.ActionMask),
        ("VFIO_IRQ_SET_ACTION_UNMASK", (ulong)IrqSetFlags.ActionUnmask),
        ("VFIO_IRQ_SET_ACTION_TRIGGER", (ulong)IrqSetFlags.ActionTrigger),
        ("VFIO_PCI_INTX_IRQ_INDEX", (ulong)VfioIrqIndex.Intx),
        ("VFIO_PCI_MSI_IRQ_INDEX", (ulong)VfioIrqIndex.Msi),
        ("VFIO_PCI_MSIX_IRQ_INDEX", (ulong)VfioIrqIndex.Msix),
        ("VFIO_PCI_ERR_IRQ_INDEX", (ulong)VfioIrqIndex.Err),
        ("VFIO_PCI_REQ_IRQ_INDEX", (ulong)VfioIrqIndex.Req),
        // The ACPI-notify index was proposed as the next one after REQ: VFIO_PCI_NUM_IRQS today.
        ("VFIO_PCI_NUM_IRQS", (ulong)VfioIrqIndex.AcpiNotify),
        ("VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY", (ulong)DeviceFeatureId.LowPowerEntry),
        ("VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP", (ulong)DeviceFeatureId.LowPowerEntryWithWakeup),
        ("VFIO_DEVICE_FEATURE_LOW_POWER_EXIT", (ulong)DeviceFeatureId.LowPowerExit),
    ];

    public static readonly (string Macro, ulong Value)[] IommufdConstants =
    [
        ("IOMMUFD_TYPE", VfioIoctls.VfioType),
        ("IOMMUFD_CMD_BASE", VfioIoctls.IommufdBase),
        ("IOMMU_IOAS_MAP_FIXED_IOVA", VfioConstants.IoasMapFixedIova),
        ("IOMMU_IOAS_MAP_WRITEABLE", VfioConstants.IoasMapWriteable),
        ("IOMMU_IOAS_MAP_READABLE", VfioConstants.IoasMapReadable),
    ];
}
