using System.Buffers.Binary;
using Vireo.Sys;

namespace Vireo.VfioUser;

public sealed partial class VfioUserServer
{
    private readonly IoEventFdSet _ioEventFds;

    private (IVfioUserPayload, SafeFd[]) HandleRegionIoFds(ReadOnlySpan<byte> payload)
    {
        RegionIoFds request = RegionIoFds.Decode(payload);
        // libvfio-user's handle_device_get_region_io_fds: flags and count must be 0, the region
        // must exist, and argsz lie between the header and the largest transfer.
        if (request.Flags != 0 || request.Count != 0)
        {
            throw new VfioUserException(Errno.EINVAL, $"GET_REGION_IO_FDS flags {request.Flags:x} count {request.Count}");
        }
        if (request.Index >= VfioRegionIndex.Count || RegionSize(request.Index) == 0)
        {
            throw new VfioUserException(Errno.EINVAL, $"GET_REGION_IO_FDS of region {request.Index}, which the device does not have");
        }
        if (request.Argsz < RegionIoFds.Length || request.Argsz > _options.MaxDataTransferSize)
        {
            throw new VfioUserException(Errno.EINVAL, $"GET_REGION_IO_FDS argsz {request.Argsz}");
        }
        List<(IoEventFdDeclaration Declaration, EventFd Fd)> entries = _ioEventFds.Of(request.Index);
        uint needed = (uint)(RegionIoFds.Length + (entries.Count * SubRegionIoEventFd.Length));
        if (request.Argsz < needed || entries.Count == 0)
        {
            // As libvfio-user: too small an argsz gets the header with the count and the argsz
            // needed, and neither entries nor fds.
            return (new RegionIoFds(needed, 0, request.Index, (uint)entries.Count, ReadOnlyMemory<byte>.Empty), []);
        }
        if (entries.Count > _client.EffectiveMaxMessageFds)
        {
            throw new VfioUserException(Errno.EINVAL, $"region {request.Index} has {entries.Count} ioeventfds, the client takes {_client.EffectiveMaxMessageFds} fds a message");
        }
        byte[] array = new byte[entries.Count * SubRegionIoEventFd.Length];
        var fds = new SafeFd[entries.Count];
        for (int i = 0; i < entries.Count; i++)
        {
            IoEventFdDeclaration d = entries[i].Declaration;
            var entry = new SubRegionIoEventFd(
                d.Offset,
                (ulong)d.Size,
                (uint)i,
                IoFdType.IoEventFd,
                d.DataMatch is null ? IoEventFdFlags.None : IoEventFdFlags.DataMatch,
                0,
                0,
                d.DataMatch ?? 0);
            entry.Encode(array.AsSpan(i * SubRegionIoEventFd.Length));
        }
        for (int i = 0; i < entries.Count; i++)
        {
            fds[i] = FileDescriptor.Duplicate(entries[i].Fd.Handle);
        }
        return (new RegionIoFds(needed, 0, request.Index, (uint)entries.Count, array), fds);
    }

    private void AddWatchedIoEventFds(List<(EventFd, Action)> watched)
    {
        foreach ((IoEventFdDeclaration declaration, EventFd fd) in _ioEventFds.Active)
        {
            watched.Add((fd, () => Kick(declaration)));
        }
    }

    /// <summary>The write an ioeventfd stands for, delivered like a REGION_WRITE (it wakes a
    /// device in low power as any access does).</summary>
    private void Kick(IoEventFdDeclaration declaration)
    {
        Span<byte> value = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(value, declaration.DataMatch ?? 0);
        WakeForAccess();
        _backend.RegionWrite((uint)declaration.Bar, declaration.Offset, value[..declaration.Size]);
        EndAccess();
    }

    private void ForgetIoEventFd(EventFd fd) => _ioEventFds.Forget(fd);

    private void DropIoEventFds() => _ioEventFds.Clear();
}
