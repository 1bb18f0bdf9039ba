using System.Buffers.Binary;
using Vireo.Sys;

namespace Vireo.VfioUser;

public sealed partial class VfioUserServer
{
    private IVfioUserPayload HandleDeviceInfo(ReadOnlySpan<byte> payload)
    {
        DeviceInfo request = DeviceInfo.Decode(payload);
        if (request.Argsz < DeviceInfo.Length)
        {
            throw new VfioUserException(Errno.EINVAL, $"DEVICE_GET_INFO argsz {request.Argsz}");
        }
        return new DeviceInfo(DeviceInfo.Length, DeviceInfoFlags.Pci | DeviceInfoFlags.Reset, VfioRegionIndex.Count, IrqCount);
    }

    private (IVfioUserPayload, SafeFd[]) HandleRegionInfo(ReadOnlySpan<byte> payload)
    {
        RegionInfo request = RegionInfo.Decode(payload);
        if (request.Argsz < RegionInfo.Length || payload.Length < RegionInfo.Length)
        {
            throw new VfioUserException(Errno.EINVAL, $"GET_REGION_INFO argsz {request.Argsz}");
        }
        if (request.Index >= VfioRegionIndex.Count)
        {
            throw new VfioUserException(Errno.EINVAL, $"bad region index {request.Index}");
        }
        ulong size = RegionSize(request.Index);
        RegionInfoFlags flags = size == 0 ? RegionInfoFlags.None : RegionInfoFlags.Read | RegionInfoFlags.Write;
        VfioUserRegionMapping? mapping = size == 0 ? null : _backend.RegionMapping(request.Index);
        if (mapping is null)
        {
            return (new RegionInfo(RegionInfo.Length, flags, request.Index, 0, size, 0, null), []);
        }
        // As libvfio-user: MMAP is always announced; the sparse areas and the fd come only when
        // the client's argsz has room for the capability, otherwise argsz says what is needed.
        flags |= RegionInfoFlags.Mmap;
        uint needed = (uint)(RegionInfo.Length + RegionInfo.SparseCapabilityLength(mapping.Areas.Count));
        if (request.Argsz < needed)
        {
            return (new RegionInfo(needed, flags, request.Index, 0, size, 0, null), []);
        }
        flags |= RegionInfoFlags.Caps;
        SafeFd fd = FileDescriptor.Duplicate(mapping.Fd);
        return (new RegionInfo(needed, flags, request.Index, RegionInfo.Length, size, 0, [.. mapping.Areas]), [fd]);
    }

    private IVfioUserPayload HandleRegionRead(ReadOnlySpan<byte> payload)
    {
        RegionAccess request = RegionAccess.Decode(payload, withData: false);
        if (payload.Length != RegionAccess.Length)
        {
            throw new VfioUserException(Errno.EINVAL, "REGION_READ request carries data");
        }
        CheckAccess(request.Region, request.Offset, request.Count);
        byte[] data = new byte[request.Count];
        WakeForAccess();
        _backend.RegionRead(request.Region, request.Offset, data);
        EndAccess();
        return request with { Data = data };
    }

    private IVfioUserPayload HandleRegionWrite(ReadOnlySpan<byte> payload)
    {
        RegionAccess request = RegionAccess.Decode(payload, withData: true);
        CheckAccess(request.Region, request.Offset, request.Count);
        WakeForAccess();
        _backend.RegionWrite(request.Region, request.Offset, payload[RegionAccess.Length..]);
        EndAccess();
        return request with { Data = ReadOnlyMemory<byte>.Empty };
    }

    private IVfioUserPayload HandleWriteMulti(ReadOnlySpan<byte> payload)
    {
        RegionWriteMulti request = RegionWriteMulti.Decode(payload);
        foreach (RegionWriteEntry entry in request.Writes)
        {
            CheckAccess(entry.Region, entry.Offset, entry.Count);
        }
        WakeForAccess();
        Span<byte> data = stackalloc byte[RegionWriteMulti.MaxEntryData];
        foreach (RegionWriteEntry entry in request.Writes)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(data, entry.Data);
            _backend.RegionWrite(entry.Region, entry.Offset, data[..(int)entry.Count]);
        }
        EndAccess();
        return new RawPayload(RegionWriteMulti.EncodeReply((ulong)request.Writes.Count));
    }

    private ulong RegionSize(uint index) => index < VfioRegionIndex.Count ? _backend.RegionSize(index) : 0;

    private void CheckAccess(uint region, ulong offset, uint count)
    {
        if (region >= VfioRegionIndex.Count)
        {
            throw new VfioUserException(Errno.EINVAL, $"bad region index {region}");
        }
        if (count == 0 || count > _options.MaxDataTransferSize)
        {
            throw new VfioUserException(Errno.EINVAL, $"region access count {count}");
        }
        ulong size = RegionSize(region);
        if (offset > size || count > size - offset)
        {
            throw new VfioUserException(Errno.EINVAL, $"region {region} access {offset:x}+{count} outside size {size:x}");
        }
    }
}
