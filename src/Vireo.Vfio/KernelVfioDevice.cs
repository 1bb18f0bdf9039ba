using System.Buffers.Binary;
using System.Text;
using Vireo.Sys;
using Vireo.VfioUser;

namespace Vireo.Vfio;

/// <summary>A PCI device assigned through the Linux kernel's VFIO, by the group/container API or by
/// iommufd with the device cdev: the same <see cref="IVfioDevice"/> as a vfio-user server, so the
/// PCI glue above is one. Region accesses are pread/pwrite on the device fd (safe from any
/// thread); DMA maps pin the VMM's own mapping of guest RAM.</summary>
public sealed partial class KernelVfioDevice : IVfioDevice
{
    // A region info answer with its capability chain is a few hundred bytes; refuse absurd sizes.
    private const uint MaxRegionInfoLength = 64 * 1024;

    private readonly IVfioSyscalls _sys;
    private readonly VfioDeviceFds _fds;
    private readonly SafeFd _device;
    private readonly uint _ioasId;
    private readonly DeviceInfo _info;
    private readonly RegionInfo[] _regions;

    private KernelVfioDevice(IVfioSyscalls sys, VfioDeviceFds fds, SafeFd device, uint ioasId)
    {
        _sys = sys;
        _fds = fds;
        _device = device;
        _ioasId = ioasId;
        _info = QueryDeviceInfo();
        _regions = new RegionInfo[_info.NumRegions];
        for (uint i = 0; i < _info.NumRegions; i++)
        {
            // A region the device does not implement (vfio-pci's VGA on a non-VGA device) answers
            // size 0; one the kernel refuses is treated the same, so accesses to it fail cleanly.
            try
            {
                _regions[i] = QueryRegionInfo(i);
            }
            catch (ErrnoException)
            {
                _regions[i] = new RegionInfo(0, RegionInfoFlags.None, i, 0, 0, 0, null);
            }
        }
        HasAcpiNotifyIrq = ProbeAcpiNotifyIrq();
    }

    /// <inheritdoc/>
    public string Backend => Kind == VfioBackendKind.Iommufd ? "vfio (iommufd)" : "vfio (group)";

    /// <summary><see cref="VfioBackendKind.Group"/> or <see cref="VfioBackendKind.Iommufd"/>.</summary>
    public VfioBackendKind Kind => _fds.Kind;

    /// <summary>The device's PCI address.</summary>
    public string Address => _fds.DeviceAddress;

    /// <summary>Whether the kernel offers the ACPI notification IRQ index (5, as the 2023 proposal
    /// "vfio/pci: Propagate ACPI notifications to user-space" numbered it) with at least one vector.</summary>
    public bool HasAcpiNotifyIrq { get; }

    /// <inheritdoc/>
    public bool NeedsSharedMemory => false;

    /// <inheritdoc/>
    public bool IsConnected => true;

    /// <inheritdoc/>
    /// <remarks>Never raised: a kernel device does not hang up.</remarks>
    public event Action<Exception>? Disconnected
    {
        add { }
        remove { }
    }

    /// <summary>Resolves <paramref name="device"/> in sysfs, checks its group's viability, chooses
    /// the backend, opens it and attaches the device: everything a privileged `vireo run` does alone.</summary>
    /// <param name="device">A PCI address (0000:00:03.0) or a sysfs device path.</param>
    /// <param name="backend">Auto (iommufd where the kernel has it), or the backend to use.</param>
    /// <param name="sysfsRoot">Where sysfs is mounted.</param>
    /// <param name="devRoot">Where the device nodes are.</param>
    /// <exception cref="VfioSetupException">The device cannot be assigned (the message says why and the fix).</exception>
    /// <exception cref="ErrnoException">A device node or ioctl failed; the message names it.</exception>
    public static KernelVfioDevice Open(string device, VfioBackendKind backend = VfioBackendKind.Auto, string sysfsRoot = VfioSysfs.DefaultRoot, string devRoot = VfioBackendChoice.DefaultDevRoot)
    {
        VfioHostDevice host = VfioSysfs.Resolve(device, sysfsRoot);
        VfioSysfs.EnsureViable(host, sysfsRoot);
        return Attach(VfioDeviceFds.Open(VfioBackendChoice.Choose(host, backend, devRoot)));
    }

    /// <summary>Attaches the device behind <paramref name="fds"/> (opened here or received from an
    /// agent) and takes ownership of them, also when it fails. Group API: checks the API version and
    /// the group's viability, puts the group in the container with the type1v2 IOMMU (type1 where
    /// v2 is missing) unless the group already sits in one, and gets the device fd. iommufd: binds
    /// the cdev to the iommufd, allocates an IOAS and attaches the device to it.</summary>
    /// <param name="fds">The container and group, or the iommufd and cdev.</param>
    /// <exception cref="VfioGroupNotViableException">The kernel says the group is not viable.</exception>
    /// <exception cref="ErrnoException">An ioctl failed; the message names it.</exception>
    public static KernelVfioDevice Attach(VfioDeviceFds fds) => Attach(fds, LinuxVfioSyscalls.Instance, VfioSysfs.DefaultRoot);

    internal static KernelVfioDevice Attach(VfioDeviceFds fds, IVfioSyscalls sys, string sysfsRoot)
    {
        ArgumentNullException.ThrowIfNull(fds);
        SafeFd? device = null;
        try
        {
            if (fds.Kind == VfioBackendKind.Iommufd)
            {
                uint ioas = AttachIommufd(fds, sys);
                return new KernelVfioDevice(sys, fds, fds.Second, ioas);
            }
            device = AttachGroup(fds, sys, sysfsRoot);
            return new KernelVfioDevice(sys, fds, device, 0);
        }
        catch
        {
            device?.Dispose();
            fds.Dispose();
            throw;
        }
    }

    private static SafeFd AttachGroup(VfioDeviceFds fds, IVfioSyscalls sys, string sysfsRoot)
    {
        SafeFd container = fds.First;
        SafeFd group = fds.Second;
        int version = sys.Ioctl(container, VfioIoctls.GetApiVersion, 0, "VFIO_GET_API_VERSION");
        if (version != VfioConstants.ApiVersion)
        {
            throw new VfioSetupException($"the kernel's VFIO API version is {version}; Vireo speaks version {VfioConstants.ApiVersion}");
        }
        var status = new VfioGroupStatus { Argsz = (uint)System.Runtime.CompilerServices.Unsafe.SizeOf<VfioGroupStatus>() };
        sys.Ioctl(group, VfioIoctls.GroupGetStatus, ref status, "VFIO_GROUP_GET_STATUS");
        if ((status.Flags & VfioConstants.GroupFlagsViable) == 0)
        {
            throw NotViable(fds, sysfsRoot);
        }
        // A group handed over already in a container (by an agent that set it up) keeps it and its IOMMU.
        if ((status.Flags & VfioConstants.GroupFlagsContainerSet) == 0)
        {
            uint iommuType = sys.Ioctl(container, VfioIoctls.CheckExtension, (nint)VfioConstants.Type1v2Iommu, "VFIO_CHECK_EXTENSION(VFIO_TYPE1v2_IOMMU)") > 0
                ? VfioConstants.Type1v2Iommu
                : sys.Ioctl(container, VfioIoctls.CheckExtension, (nint)VfioConstants.Type1Iommu, "VFIO_CHECK_EXTENSION(VFIO_TYPE1_IOMMU)") > 0
                    ? VfioConstants.Type1Iommu
                    : throw new VfioSetupException("the kernel's VFIO has no type1 IOMMU driver (vfio_iommu_type1 not loaded?)");
            bool added = false;
            container.DangerousAddRef(ref added);
            try
            {
                int containerFd = container.DangerousGetFd();
                sys.Ioctl(group, VfioIoctls.GroupSetContainer, ref containerFd, "VFIO_GROUP_SET_CONTAINER");
            }
            finally
            {
                container.DangerousRelease();
            }
            sys.Ioctl(container, VfioIoctls.SetIommu, (nint)iommuType, "VFIO_SET_IOMMU");
        }
        byte[] name = Encoding.ASCII.GetBytes(fds.DeviceAddress + "\0");
        int fd = sys.Ioctl(group, VfioIoctls.GroupGetDeviceFd, name, $"VFIO_GROUP_GET_DEVICE_FD({fds.DeviceAddress})");
        return SafeFd.FromOwned(fd);
    }

    // The kernel only says "not viable"; sysfs (readable without privilege) can say who blocks it.
    private static VfioGroupNotViableException NotViable(VfioDeviceFds fds, string sysfsRoot)
    {
        try
        {
            VfioSysfs.EnsureViable(VfioSysfs.Resolve(fds.DeviceAddress, sysfsRoot), sysfsRoot);
        }
        catch (VfioGroupNotViableException explained)
        {
            return explained;
        }
        catch (Exception e) when (e is VfioSetupException or IOException or UnauthorizedAccessException)
        {
            // No better explanation than the kernel's.
        }
        return new VfioGroupNotViableException(fds.IommuGroup, null, null,
            $"IOMMU group {fds.IommuGroup} of {fds.DeviceAddress} is not viable: a device in it is bound to a host driver "
            + $"(see {sysfsRoot}/kernel/iommu_groups/{fds.IommuGroup}/devices); bind every member to vfio-pci");
    }

    private static uint AttachIommufd(VfioDeviceFds fds, IVfioSyscalls sys)
    {
        SafeFd iommufd = fds.First;
        SafeFd cdev = fds.Second;
        bool added = false;
        iommufd.DangerousAddRef(ref added);
        try
        {
            var bind = new VfioDeviceBindIommufd
            {
                Argsz = (uint)System.Runtime.CompilerServices.Unsafe.SizeOf<VfioDeviceBindIommufd>(),
                Iommufd = iommufd.DangerousGetFd(),
            };
            sys.Ioctl(cdev, VfioIoctls.DeviceBindIommufd, ref bind, "VFIO_DEVICE_BIND_IOMMUFD");
        }
        finally
        {
            iommufd.DangerousRelease();
        }
        var alloc = new IommuIoasAlloc { Size = (uint)System.Runtime.CompilerServices.Unsafe.SizeOf<IommuIoasAlloc>() };
        sys.Ioctl(iommufd, VfioIoctls.IommuIoasAlloc, ref alloc, "IOMMU_IOAS_ALLOC");
        var attach = new VfioDeviceAttachIommufdPt
        {
            Argsz = (uint)System.Runtime.CompilerServices.Unsafe.SizeOf<VfioDeviceAttachIommufdPt>(),
            PtId = alloc.OutIoasId,
        };
        sys.Ioctl(cdev, VfioIoctls.DeviceAttachIommufdPt, ref attach, "VFIO_DEVICE_ATTACH_IOMMUFD_PT");
        return alloc.OutIoasId;
    }

    /// <inheritdoc/>
    public DeviceInfo GetDeviceInfo() => _info;

    /// <inheritdoc/>
    public RegionInfo GetRegionInfo(uint index, out SafeFd? fd)
    {
        RegionInfo info = QueryRegionInfo(index);
        fd = (info.Flags & RegionInfoFlags.Mmap) != 0 ? _sys.Duplicate(_device) : null;
        return info;
    }

    /// <inheritdoc/>
    public IReadOnlyList<RegionIoEventFd> GetRegionIoEventFds(uint index) => [];

    /// <inheritdoc/>
    public IrqInfo GetIrqInfo(uint index)
    {
        var info = new VfioIrqInfoAbi { Argsz = IrqInfo.Length, Index = index };
        _sys.Ioctl(_device, VfioIoctls.DeviceGetIrqInfo, ref info, $"VFIO_DEVICE_GET_IRQ_INFO({index})");
        return new IrqInfo(info.Argsz, (IrqInfoFlags)info.Flags, info.Index, info.Count);
    }

    /// <inheritdoc/>
    public void ReadRegion(uint region, ulong offset, Span<byte> data)
    {
        long position = RegionPosition(region, offset, data.Length, "read");
        int read = _sys.ReadAt(_device, position, data);
        if (read != data.Length)
        {
            throw new ErrnoException(Errno.EIO, $"read of VFIO region {region} at 0x{offset:x} ({read} of {data.Length} bytes)");
        }
    }

    /// <inheritdoc/>
    public void WriteRegion(uint region, ulong offset, ReadOnlySpan<byte> data)
        => _sys.WriteAt(_device, RegionPosition(region, offset, data.Length, "write"), data);

    /// <inheritdoc/>
    public void Reset() => _sys.Ioctl(_device, VfioIoctls.DeviceReset, 0, "VFIO_DEVICE_RESET");

    /// <summary>Closes the device, then the group or cdev, then the container or iommufd; the
    /// kernel drops the DMA mappings and interrupt eventfds with them.</summary>
    public void Dispose()
    {
        if (Kind == VfioBackendKind.Group)
        {
            _device.Dispose();
        }
        _fds.Dispose();
    }

    // Where in the device fd an access lands: the region's offset plus the offset in it, checked
    // against the region's size so a bad offset never reaches another region.
    private long RegionPosition(uint region, ulong offset, int length, string access)
    {
        if (region >= (uint)_regions.Length)
        {
            throw new ErrnoException(Errno.EINVAL, $"{access} of VFIO region {region} (the device has {_regions.Length})");
        }
        RegionInfo info = _regions[region];
        if (offset > info.Size || (ulong)length > info.Size - offset)
        {
            throw new ErrnoException(Errno.EINVAL, $"{access} of VFIO region {region} at 0x{offset:x}+{length} (the region is 0x{info.Size:x} bytes)");
        }
        return checked((long)(info.Offset + offset));
    }

    // The kernel answers a too-small argsz with the size the capability chain needs; one retry
    // suffices unless the chain changed in between, so give up after a few.
    private RegionInfo QueryRegionInfo(uint index)
    {
        uint argsz = RegionInfo.Length;
        for (int attempt = 0; attempt < 3; attempt++)
        {
            byte[] buffer = new byte[argsz];
            RegionInfo.Request(index, argsz).Encode(buffer);
            _sys.Ioctl(_device, VfioIoctls.DeviceGetRegionInfo, buffer, $"VFIO_DEVICE_GET_REGION_INFO({index})");
            uint needed = BinaryPrimitives.ReadUInt32LittleEndian(buffer);
            if (needed <= argsz)
            {
                return RegionInfo.Decode(buffer);
            }
            argsz = needed <= MaxRegionInfoLength
                ? needed
                : throw new ErrnoException(Errno.E2BIG, $"VFIO_DEVICE_GET_REGION_INFO({index}) asking for {needed} bytes");
        }
        throw new ErrnoException(Errno.EAGAIN, $"VFIO_DEVICE_GET_REGION_INFO({index}) kept asking for more room");
    }

    private DeviceInfo QueryDeviceInfo()
    {
        var info = new VfioDeviceInfoAbi { Argsz = DeviceInfo.Length };
        _sys.Ioctl(_device, VfioIoctls.DeviceGetInfo, ref info, "VFIO_DEVICE_GET_INFO");
        return new DeviceInfo(info.Argsz, (DeviceInfoFlags)info.Flags, info.NumRegions, info.NumIrqs);
    }

    private bool ProbeAcpiNotifyIrq()
    {
        if (_info.NumIrqs <= (uint)VfioIrqIndex.AcpiNotify)
        {
            return false;
        }
        try
        {
            return GetIrqInfo((uint)VfioIrqIndex.AcpiNotify).Count > 0;
        }
        catch (ErrnoException e) when (e.Errno == Errno.EINVAL)
        {
            return false;
        }
    }
}
