using System.Buffers.Binary;
using Vireo.Sys;
using Vireo.VfioUser;

namespace Vireo.Vfio.Tests;

/// <summary>A VFIO kernel in miniature behind <see cref="IVfioSyscalls"/>: answers each request the
/// way linux/vfio.h and iommufd.h describe, from a small configurable device, and records every
/// call (which descriptor, which request, the argument bytes as sent). Descriptors are real
/// (/dev/null), so ownership and closing are real too.</summary>
internal sealed class FakeVfioKernel : IVfioSyscalls
{
    public const uint IoasId = 5;

    private static readonly Dictionary<nuint, string> s_names =
        VfioAbi.Ioctls.Concat(VfioAbi.IommufdIoctls).ToDictionary(i => i.Value, i => i.Macro);

    private readonly Dictionary<int, string> _labels = [];

    public List<Call> Calls { get; } = [];

    /// <summary>Every descriptor <see cref="Open"/> returned, in order.</summary>
    public List<SafeFd> Opened { get; } = [];

    public int ApiVersion { get; set; }

    public HashSet<uint> IommuTypes { get; } = [VfioConstants.Type1Iommu, VfioConstants.Type1v2Iommu];

    public uint GroupFlags { get; set; } = VfioConstants.GroupFlagsViable;

    public DeviceInfoFlags DeviceFlags { get; set; } = DeviceInfoFlags.Pci | DeviceInfoFlags.Reset;

    /// <summary>Regions by index: flags, size, offset in the device fd, capability chain bytes (offsets relative to the chain's start).</summary>
    public Dictionary<uint, (RegionInfoFlags Flags, ulong Size, ulong Offset, byte[] Caps)> Regions { get; } = [];

    public uint NumRegions { get; set; } = 9;

    public Dictionary<uint, (IrqInfoFlags Flags, uint Count)> Irqs { get; } = [];

    public uint NumIrqs { get; set; } = 5;

    public HashSet<DeviceFeatureId> Features { get; } = [];

    /// <summary>Requests (by macro name) that fail with the given errno.</summary>
    public Dictionary<string, int> Failures { get; } = [];

    /// <summary>The bytes behind the device fd, by position.</summary>
    public byte[] DeviceFile { get; set; } = [];

    public sealed record Call(string Fd, string Request, byte[] Arg, nint Value);

    public IEnumerable<string> Requests => Calls.Select(c => $"{c.Fd} {c.Request}");

    public SafeFd Open(string path)
    {
        if (Failures.TryGetValue("open " + path, out int errno))
        {
            throw new ErrnoException(errno, "open " + path);
        }
        SafeFd fd = SafeFd.Open("/dev/null", OpenFlags.ReadWrite);
        _labels[fd.DangerousGetFd()] = Path.GetFileName(path) switch
        {
            "vfio" => "container",
            "iommu" => "iommufd",
            string name when name.StartsWith("vfio", StringComparison.Ordinal) => "cdev",
            _ => "group",
        };
        Opened.Add(fd);
        return fd;
    }

    /// <summary>Labels a descriptor made outside, as if the fake had opened it.</summary>
    public SafeFd Adopt(string label)
    {
        SafeFd fd = SafeFd.Open("/dev/null", OpenFlags.ReadWrite);
        _labels[fd.DangerousGetFd()] = label;
        return fd;
    }

    public string LabelOf(int fd) => _labels.TryGetValue(fd, out string? label) ? label : $"fd {fd}";

    public int Ioctl(SafeFd fd, nuint request, nint value, string name)
    {
        string req = Record(fd, request, [], value, name);
        if (req == "VFIO_GET_API_VERSION")
        {
            return ApiVersion;
        }
        if (req == "VFIO_CHECK_EXTENSION")
        {
            return IommuTypes.Contains((uint)value) ? 1 : 0;
        }
        return 0;
    }

    public int Ioctl(SafeFd fd, nuint request, Span<byte> arg, string name)
    {
        string req = Record(fd, request, arg.ToArray(), 0, name);
        switch (req)
        {
            case "VFIO_GROUP_GET_STATUS":
                U32(arg, 4, GroupFlags);
                return 0;
            case "VFIO_GROUP_GET_DEVICE_FD":
                SafeFd device = SafeFd.Open("/dev/null", OpenFlags.ReadWrite);
                int number = device.DangerousGetFd();
                device.SetHandleAsInvalid();
                _labels[number] = "device";
                return number;
            case "VFIO_DEVICE_GET_INFO":
                U32(arg, 4, (uint)DeviceFlags);
                U32(arg, 8, NumRegions);
                U32(arg, 12, NumIrqs);
                return 0;
            case "VFIO_DEVICE_GET_REGION_INFO":
                return RegionInfo(arg);
            case "VFIO_DEVICE_GET_IRQ_INFO":
                uint index = BinaryPrimitives.ReadUInt32LittleEndian(arg[8..]);
                if (index >= NumIrqs)
                {
                    throw new ErrnoException(Errno.EINVAL, name);
                }
                (IrqInfoFlags flags, uint count) = Irqs.GetValueOrDefault(index);
                U32(arg, 4, (uint)flags);
                U32(arg, 12, count);
                return 0;
            case "VFIO_DEVICE_FEATURE":
                var feature = (DeviceFeatureId)(BinaryPrimitives.ReadUInt32LittleEndian(arg[4..]) & 0xffff);
                return Features.Contains(feature) ? 0 : throw new ErrnoException(Errno.ENOTTY, name);
            case "VFIO_DEVICE_BIND_IOMMUFD":
                U32(arg, 12, 1);
                return 0;
            case "IOMMU_IOAS_ALLOC":
                U32(arg, 8, IoasId);
                return 0;
            default:
                return 0;
        }
    }

    public int ReadAt(SafeFd fd, long offset, Span<byte> buffer)
    {
        Record(fd, 0, [], (nint)offset, "pread");
        int available = (int)Math.Clamp(DeviceFile.Length - offset, 0, buffer.Length);
        DeviceFile.AsSpan((int)Math.Min(offset, DeviceFile.Length), available).CopyTo(buffer);
        return available;
    }

    public void WriteAt(SafeFd fd, long offset, ReadOnlySpan<byte> data)
    {
        Record(fd, 0, data.ToArray(), (nint)offset, "pwrite");
        data.CopyTo(DeviceFile.AsSpan((int)offset));
    }

    public SafeFd Duplicate(SafeFd fd)
    {
        SafeFd dup = FileDescriptor.Duplicate(fd);
        _labels[dup.DangerousGetFd()] = "dup of " + LabelOf(fd.DangerousGetFd());
        return dup;
    }

    private string Record(SafeFd fd, nuint request, byte[] arg, nint value, string name)
    {
        string req = request == 0 ? name : s_names[request];
        Calls.Add(new Call(LabelOf(fd.DangerousGetFd()), req, arg, value));
        return Failures.TryGetValue(req, out int errno) ? throw new ErrnoException(errno, name) : req;
    }

    private int RegionInfo(Span<byte> arg)
    {
        uint argsz = BinaryPrimitives.ReadUInt32LittleEndian(arg);
        uint index = BinaryPrimitives.ReadUInt32LittleEndian(arg[8..]);
        if (index >= NumRegions)
        {
            throw new ErrnoException(Errno.EINVAL, "VFIO_DEVICE_GET_REGION_INFO");
        }
        (RegionInfoFlags flags, ulong size, ulong offset, byte[] caps) = Regions.GetValueOrDefault(index, (RegionInfoFlags.None, 0, 0, []));
        uint full = (uint)(VfioUser.RegionInfo.Length + caps.Length);
        if (caps.Length > 0)
        {
            flags |= RegionInfoFlags.Caps;
        }
        U32(arg, 0, full);
        U32(arg, 4, (uint)flags);
        BinaryPrimitives.WriteUInt64LittleEndian(arg[16..], size);
        BinaryPrimitives.WriteUInt64LittleEndian(arg[24..], offset);
        // Like the kernel: caps only when they fit, else argsz says how much room they need.
        if (caps.Length > 0 && argsz >= full)
        {
            U32(arg, 12, (uint)VfioUser.RegionInfo.Length);
            caps.CopyTo(arg[VfioUser.RegionInfo.Length..]);
        }
        else
        {
            U32(arg, 12, 0);
        }
        return 0;
    }

    private static void U32(Span<byte> arg, int at, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(arg[at..], value);
}
