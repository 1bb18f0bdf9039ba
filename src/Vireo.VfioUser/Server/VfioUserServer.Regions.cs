using System.Buffers.Binary;
using Vireo.Pci;
using Vireo.Sys;

namespace Vireo.VfioUser;

public sealed partial class VfioUserServer
{
    private MsixTable? _msixTable;

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
        PciBar? bar = request.Index <= VfioRegionIndex.Bar5 ? _device.Bars[(int)request.Index] : null;
        if (bar is null || !bar.IsSharedMemory)
        {
            return (new RegionInfo(RegionInfo.Length, flags, request.Index, 0, size, 0, null), []);
        }
        // As libvfio-user: MMAP is always announced; the sparse areas and the fd come only when
        // the client's argsz has room for the capability, otherwise argsz says what is needed.
        flags |= RegionInfoFlags.Mmap;
        uint needed = (uint)(RegionInfo.Length + RegionInfo.SparseCapabilityLength(bar.MmapAreas.Count));
        if (request.Argsz < needed)
        {
            return (new RegionInfo(needed, flags, request.Index, 0, size, 0, null), []);
        }
        flags |= RegionInfoFlags.Caps;
        SafeFd fd = FileDescriptor.Duplicate(bar.MemoryFd!);
        SparseMmapArea[] areas = [.. bar.MmapAreas.Select(a => new SparseMmapArea(a.Offset, a.Size))];
        return (new RegionInfo(needed, flags, request.Index, RegionInfo.Length, size, 0, areas), [fd]);
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
        AccessRegion(request.Region, request.Offset, data, write: false);
        EndAccess();
        return request with { Data = data };
    }

    private IVfioUserPayload HandleRegionWrite(ReadOnlySpan<byte> payload)
    {
        RegionAccess request = RegionAccess.Decode(payload, withData: true);
        CheckAccess(request.Region, request.Offset, request.Count);
        WakeForAccess();
        AccessRegion(request.Region, request.Offset, payload[RegionAccess.Length..].ToArray(), write: true);
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
            AccessRegion(entry.Region, entry.Offset, data[..(int)entry.Count], write: true);
        }
        EndAccess();
        return new RawPayload(RegionWriteMulti.EncodeReply((ulong)request.Writes.Count));
    }

    private ulong RegionSize(uint index) => index switch
    {
        <= VfioRegionIndex.Bar5 => _device.Bars[(int)index]?.Size ?? 0,
        VfioRegionIndex.Config => (ulong)_device.Config.Size,
        _ => 0,
    };

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

    private void AccessRegion(uint region, ulong offset, Span<byte> data, bool write)
    {
        if (region == VfioRegionIndex.Config)
        {
            if (write)
            {
                PciPowerState before = _device.Config.PowerState;
                _device.Config.Write((int)offset, data);
                _device.ConfigWritten((int)offset, data.Length);
                PciPowerState after = _device.Config.PowerState;
                if (after != before)
                {
                    _device.PowerStateChanged(after);
                }
                DeliverPendingInterrupts();
            }
            else
            {
                _device.Config.Read((int)offset, data);
            }
            return;
        }
        int bar = (int)region;
        PciBar pciBar = _device.Bars[bar]!;
        if (TryMsixAccess(bar, offset, data, write))
        {
            return;
        }
        if (pciBar.IsSharedMemory && pciBar.IsInMmapArea(offset, (ulong)data.Length))
        {
            if (write)
            {
                pciBar.WriteMemory(offset, data);
            }
            else
            {
                pciBar.ReadMemory(offset, data);
            }
            return;
        }
        if (write)
        {
            _device.WriteBar(bar, offset, data);
        }
        else
        {
            _device.ReadBar(bar, offset, data);
        }
    }

    private MsixTable MsixTable => _msixTable ??= new MsixTable(_device.Config.MsixVectors);

    private void ResetMsixTable() => _msixTable?.Reset();

    private bool TryMsixAccess(int bar, ulong offset, Span<byte> data, bool write)
    {
        int vectors = _device.Config.MsixVectors;
        if (vectors == 0)
        {
            return false;
        }
        ulong tableLength = (ulong)(vectors * MsixTable.EntrySize);
        if (bar == _device.MsixTableBar && offset >= _device.MsixTableOffset && offset - _device.MsixTableOffset < tableLength)
        {
            ulong at = offset - _device.MsixTableOffset;
            if (write)
            {
                MsixTable.Write(at, data);
                DeliverPendingInterrupts();
            }
            else
            {
                MsixTable.Read(at, data);
            }
            return true;
        }
        ulong pbaLength = (ulong)MsixTable.PbaLengthFor(vectors);
        if (bar == _device.MsixPbaBar && offset >= _device.MsixPbaOffset && offset - _device.MsixPbaOffset < pbaLength)
        {
            // PCI 3.0 §6.8.2.10: the PBA is read-only; writes are ignored.
            if (!write)
            {
                MsixTable.ReadPba(vectors, offset - _device.MsixPbaOffset, data, v => IsPending(VfioIrqIndex.Msix, v));
            }
            return true;
        }
        return false;
    }
}
