using Vireo.Sys;

namespace Vireo.Vfio;

/// <summary>Request numbers of linux/vfio.h and linux/iommufd.h. Every VFIO and iommufd request is
/// _IO(';', nr): the argument's size travels in its own argsz/size field, not in the number.</summary>
internal static class VfioIoctls
{
    /// <summary>VFIO_TYPE, also IOMMUFD_TYPE: ';'.</summary>
    public const uint VfioType = ';';

    /// <summary>VFIO_BASE: the first VFIO request number.</summary>
    public const uint VfioBase = 100;

    /// <summary>IOMMUFD_CMD_BASE: the first iommufd request number.</summary>
    public const uint IommufdBase = 0x80;

    public static readonly nuint GetApiVersion = Vfio(0);
    public static readonly nuint CheckExtension = Vfio(1);
    public static readonly nuint SetIommu = Vfio(2);
    public static readonly nuint GroupGetStatus = Vfio(3);
    public static readonly nuint GroupSetContainer = Vfio(4);
    public static readonly nuint GroupUnsetContainer = Vfio(5);
    public static readonly nuint GroupGetDeviceFd = Vfio(6);
    public static readonly nuint DeviceGetInfo = Vfio(7);
    public static readonly nuint DeviceGetRegionInfo = Vfio(8);
    public static readonly nuint DeviceGetIrqInfo = Vfio(9);
    public static readonly nuint DeviceSetIrqs = Vfio(10);
    public static readonly nuint DeviceReset = Vfio(11);
    public static readonly nuint IommuMapDma = Vfio(13);
    public static readonly nuint IommuUnmapDma = Vfio(14);
    public static readonly nuint DeviceFeature = Vfio(17);
    public static readonly nuint DeviceBindIommufd = Vfio(18);
    public static readonly nuint DeviceAttachIommufdPt = Vfio(19);

    // linux/iommufd.h enum IOMMUFD_CMD_*.
    public static readonly nuint IommuIoasAlloc = Iommufd(0x81);
    public static readonly nuint IommuIoasMap = Iommufd(0x85);
    public static readonly nuint IommuIoasUnmap = Iommufd(0x86);

    private static nuint Vfio(uint n) => IoctlNumber.Io(VfioType, VfioBase + n);

    private static nuint Iommufd(uint nr) => IoctlNumber.Io(VfioType, nr);
}
