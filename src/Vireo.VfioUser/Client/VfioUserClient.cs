using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using Vireo.Sys;

namespace Vireo.VfioUser;

/// <summary>
/// A vfio-user client: what a VMM needs to drive a device. A reader thread matches replies to
/// requests by message id and answers the server's DMA_READ/DMA_WRITE while requests wait, so a
/// device that does DMA in the middle of a region write cannot deadlock the pair.
/// </summary>
/// <remarks>
/// Every request throws <see cref="VfioUserException"/> for an error reply (with the server's
/// errno) or a malformed one (EIO), <see cref="VfioUserDisconnectedException"/> once the
/// connection is gone, and <see cref="TimeoutException"/> when no reply comes within
/// <see cref="VfioUserClientOptions.ReplyTimeout"/>.
/// </remarks>
public sealed class VfioUserClient : IVfioDevice
{
    /// <summary>The protocol major version the client asks for (libvfio-user's LIB_VFIO_USER_MAJOR).</summary>
    public const ushort ProtocolMajor = 0;
    /// <summary>The protocol minor version the client asks for (libvfio-user's LIB_VFIO_USER_MINOR).</summary>
    public const ushort ProtocolMinor = 2;

    // Region accesses (a vCPU's trapped BAR or config access) wait on a reusable waiter instead
    // of a TaskCompletionSource and get their reply read straight into its buffer, so the round
    // trip allocates nothing. Waiter k serves the ids congruent to k modulo FastWaiters (ids stay
    // one sequence for every request, so recorded sessions replay in step); a request whose
    // waiter is busy takes the general path.
    private const int FastWaiters = 64;
    /// <summary>The largest region access served without allocating (any PCI register access).</summary>
    private const int FastDataLimit = 64;

    private readonly MessageChannel _channel;
    private readonly VfioUserClientOptions _options;
    private readonly ConcurrentDictionary<ushort, TaskCompletionSource<ReceivedMessage>> _pending = new();
    private readonly Thread _reader;
    private MessageChannel? _twin;
    private Thread? _twinReader;
    private int _nextId;
    private volatile Exception? _failure;
    private readonly FastWaiter?[] _fast = new FastWaiter?[FastWaiters];

    private VfioUserClient(UnixSocket socket, VfioUserClientOptions options)
    {
        _options = options;
        _channel = new MessageChannel(socket, MessageChannel.PayloadLimit(options.MaxDataTransferSize), options.MaxMessageFds);
        _reader = new Thread(ReadLoop) { IsBackground = true, Name = "vfio-user client" };
        _reader.Start();
    }

    /// <summary>Raised once, on the client's reader thread, when the connection ends by the
    /// server's doing: it closed the socket (it died), sent something out of step, or broke the
    /// protocol. Not raised by <see cref="Dispose"/>. A handler must only post and return. So a
    /// VMM learns that a device is gone when it happens, not at the guest's next access.</summary>
    public event Action<Exception>? Disconnected;

    /// <summary>Whether the connection still works: false once it failed or was disposed.</summary>
    public bool IsConnected => _failure is null;

    /// <summary>The capabilities the server answered VERSION with.</summary>
    public VfioUserCapabilities ServerCapabilities { get; private set; } = new();

    /// <summary>The major version the server answered with.</summary>
    public ushort Major { get; private set; }

    /// <summary>The minor version the server answered with.</summary>
    public ushort Minor { get; private set; }

    /// <summary>The server's capabilities JSON as it was sent; null when it sent none.</summary>
    public string? ServerCapabilitiesJson { get; private set; }

    /// <summary>The server handed over a twin socket: its DMA_READ/DMA_WRITE travel there.</summary>
    public bool TwinSocketActive => _twin is not null;

    /// <summary>Both sides announced the low-power features.</summary>
    public bool LowPowerAvailable => _options.AnnounceLowPower && ServerCapabilities.VireoLowPower == true;

    /// <summary>Both sides announced the ACPI notify IRQ index.</summary>
    public bool AcpiNotifyAvailable => _options.AnnounceAcpiNotify && ServerCapabilities.VireoAcpiNotify == true;

    /// <summary>Connects to the server's socket and negotiates the version.</summary>
    /// <param name="socketPath">The server's UNIX socket.</param>
    /// <param name="options">What to announce and how long to wait; defaults when null.</param>
    /// <exception cref="ErrnoException">The socket cannot be connected.</exception>
    /// <exception cref="VfioUserException">The server refused or answered the negotiation wrongly.</exception>
    public static VfioUserClient Connect(string socketPath, VfioUserClientOptions? options = null)
        => Open(UnixSocket.Connect(socketPath), options);

    /// <summary>Negotiates the version over an already connected socket (taking ownership).</summary>
    public static VfioUserClient Open(UnixSocket socket, VfioUserClientOptions? options = null)
    {
        var client = new VfioUserClient(socket, options ?? new VfioUserClientOptions());
        try
        {
            client.Negotiate();
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>DEVICE_GET_INFO: device flags and the number of regions and IRQ indices.</summary>
    public DeviceInfo GetDeviceInfo()
    {
        using ReceivedMessage reply = Request(VfioUserCommand.DeviceGetInfo, DeviceInfo.Request);
        return DeviceInfo.Decode(reply.Payload);
    }

    /// <summary>Region info with its capabilities, asking again with the argsz the server names
    /// (the libvfio-user two-step). <paramref name="fd"/> is the region's fd when offered.</summary>
    public RegionInfo GetRegionInfo(uint index, out SafeFd? fd)
    {
        fd = null;
        uint argsz = RegionInfo.Length;
        for (int attempt = 0; attempt < 2; attempt++)
        {
            using ReceivedMessage reply = Request(VfioUserCommand.DeviceGetRegionInfo, RegionInfo.Request(index, argsz));
            RegionInfo info = RegionInfo.Decode(reply.Payload);
            if (info.Argsz <= argsz || attempt == 1)
            {
                fd = reply.FdCount > 0 ? reply.TakeFd(0) : null;
                return info;
            }
            argsz = Math.Min(info.Argsz, 64 * 1024);
        }
        throw new InvalidOperationException("unreachable");
    }

    /// <summary>One DEVICE_GET_REGION_IO_FDS at the minimal argsz: the header, whose count and argsz tell what a full answer needs; see <see cref="GetRegionIoEventFds"/> for the entries.</summary>
    /// <param name="index">The region index.</param>
    public RegionIoFds GetRegionIoFds(uint index)
    {
        using ReceivedMessage reply = Request(VfioUserCommand.DeviceGetRegionIoFds, RegionIoFds.Request(index));
        return RegionIoFds.Decode(reply.Payload);
    }

    /// <summary>The region's ioeventfds with an fd each (libvfio-user's two-step: the first
    /// answer names the argsz the entries need). Entries sharing one fd get a duplicate each, so
    /// every returned entry owns its fd; the caller disposes them.</summary>
    public IReadOnlyList<RegionIoEventFd> GetRegionIoEventFds(uint index)
    {
        uint argsz = RegionIoFds.Length;
        for (int attempt = 0; attempt < 2; attempt++)
        {
            using ReceivedMessage reply = Request(VfioUserCommand.DeviceGetRegionIoFds, RegionIoFds.Request(index, argsz));
            RegionIoFds answer = RegionIoFds.Decode(reply.Payload);
            if (answer.Count == 0)
            {
                return [];
            }
            if (answer.SubRegions.IsEmpty && attempt == 0 && answer.Argsz > argsz && answer.Argsz <= _options.MaxDataTransferSize)
            {
                argsz = answer.Argsz;
                continue;
            }
            return TakeIoEventFds(answer, reply);
        }
        throw new VfioUserException(Errno.EIO, $"GET_REGION_IO_FDS of region {index} sent no entries at the argsz it asked for");
    }

    private static List<RegionIoEventFd> TakeIoEventFds(RegionIoFds answer, ReceivedMessage reply)
    {
        int length = answer.SubRegions.Length;
        if (answer.Count > (uint)length || length % (int)answer.Count != 0)
        {
            throw new VfioUserException(Errno.EIO, $"GET_REGION_IO_FDS: {length} bytes for {answer.Count} entries");
        }
        int stride = length / (int)answer.Count;
        var entries = new List<SubRegionIoEventFd>();
        for (int i = 0; i < (int)answer.Count; i++)
        {
            SubRegionIoEventFd entry = SubRegionIoEventFd.Decode(answer.SubRegions.Span[(i * stride)..], stride);
            if (entry.Type != IoFdType.IoEventFd || entry.FdIndex >= (uint)reply.FdCount)
            {
                throw new VfioUserException(Errno.EIO, $"GET_REGION_IO_FDS entry {i}: type {entry.Type}, fd {entry.FdIndex} of {reply.FdCount}");
            }
            entries.Add(entry);
        }
        var result = new List<RegionIoEventFd>();
        var taken = new SafeFd?[reply.FdCount];
        try
        {
            foreach (SubRegionIoEventFd entry in entries)
            {
                int at = (int)entry.FdIndex;
                SafeFd fd;
                if (taken[at] is SafeFd first)
                {
                    fd = FileDescriptor.Duplicate(first);
                }
                else
                {
                    fd = reply.TakeFd(at);
                    taken[at] = fd;
                }
                result.Add(new RegionIoEventFd(entry, fd));
            }
            return result;
        }
        catch
        {
            foreach (RegionIoEventFd r in result)
            {
                r.Dispose();
            }
            throw;
        }
    }

    /// <summary>DEVICE_GET_IRQ_INFO: the vector count and flags of one IRQ index.</summary>
    /// <param name="index">The IRQ index (see <see cref="VfioIrqIndex"/>).</param>
    public IrqInfo GetIrqInfo(uint index)
    {
        using ReceivedMessage reply = Request(VfioUserCommand.DeviceGetIrqInfo, IrqInfo.Request(index));
        return IrqInfo.Decode(reply.Payload);
    }

    /// <summary>DATA_EVENTFD|ACTION_TRIGGER: the server signals these eventfds for vectors
    /// start.. start+count-1.</summary>
    public void SetIrqEventFds(VfioIrqIndex index, uint start, IReadOnlyList<EventFd> eventFds)
    {
        SafeFd[] fds = eventFds.Select(e => e.Handle).ToArray();
        var set = new IrqSet(IrqSetFlags.DataEventFd | IrqSetFlags.ActionTrigger, (uint)index, start, (uint)fds.Length, ReadOnlyMemory<byte>.Empty);
        Request(VfioUserCommand.DeviceSetIrqs, set, fds).Dispose();
    }

    /// <summary>count 0, DATA_NONE|ACTION_TRIGGER: tears down the whole index.</summary>
    public void DisableIrqs(VfioIrqIndex index)
        => Request(VfioUserCommand.DeviceSetIrqs, new IrqSet(IrqSetFlags.DataNone | IrqSetFlags.ActionTrigger, (uint)index, 0, 0, ReadOnlyMemory<byte>.Empty)).Dispose();

    /// <summary>DATA_NONE with an action: trigger, mask or unmask vectors.</summary>
    public void IrqAction(VfioIrqIndex index, IrqSetFlags action, uint start, uint count)
        => Request(VfioUserCommand.DeviceSetIrqs, new IrqSet(IrqSetFlags.DataNone | action, (uint)index, start, count, ReadOnlyMemory<byte>.Empty)).Dispose();

    /// <summary>DATA_BOOL with an action: only the vectors whose byte is non-zero are acted on.</summary>
    public void IrqActionBool(VfioIrqIndex index, IrqSetFlags action, uint start, ReadOnlySpan<bool> vectors)
    {
        byte[] data = new byte[vectors.Length];
        for (int i = 0; i < vectors.Length; i++)
        {
            data[i] = vectors[i] ? (byte)1 : (byte)0;
        }
        Request(VfioUserCommand.DeviceSetIrqs, new IrqSet(IrqSetFlags.DataBool | action, (uint)index, start, (uint)data.Length, data)).Dispose();
    }

    /// <summary>Masks vectors <paramref name="start"/> to <paramref name="start"/> + <paramref name="count"/> - 1.</summary>
    /// <param name="index">The IRQ index.</param>
    /// <param name="start">The first vector.</param>
    /// <param name="count">How many vectors.</param>
    public void MaskIrq(VfioIrqIndex index, uint start = 0, uint count = 1) => IrqAction(index, IrqSetFlags.ActionMask, start, count);

    /// <summary>Unmasks vectors; for INTx, which the server masks each time it fires, this is the
    /// guest's EOI (a raise left pending meanwhile fires now).</summary>
    public void UnmaskIrq(VfioIrqIndex index, uint start = 0, uint count = 1) => IrqAction(index, IrqSetFlags.ActionUnmask, start, count);

    /// <summary>DATA_EVENTFD|ACTION_UNMASK: the server unmasks INTx each time
    /// <paramref name="unmask"/> is signalled — hand it the resample fd of a KVM irqfd and the
    /// guest's EOI unmasks the line with no VMM round trip. Null de-assigns it.</summary>
    public void SetIrqUnmaskEventFd(VfioIrqIndex index, EventFd? unmask)
    {
        SafeFd[] fds = unmask is null ? [] : [unmask.Handle];
        var set = new IrqSet(IrqSetFlags.DataEventFd | IrqSetFlags.ActionUnmask, (uint)index, 0, 1, ReadOnlyMemory<byte>.Empty);
        Request(VfioUserCommand.DeviceSetIrqs, set, fds).Dispose();
    }

    /// <summary>REGION_READ: fills <paramref name="data"/> from the region at <paramref name="offset"/>.</summary>
    /// <param name="region">The region index (see <see cref="VfioRegionIndex"/>).</param>
    /// <param name="offset">The offset in the region.</param>
    /// <param name="data">As many bytes as are to be read, at most the server's max_data_xfer_size.</param>
    /// <exception cref="VfioUserException">The server failed the read or returned another length (EIO).</exception>
    public void ReadRegion(uint region, ulong offset, Span<byte> data)
    {
        if (data.Length <= FastDataLimit && TryFastRegionAccess(VfioUserCommand.RegionRead, region, offset, default, data))
        {
            return;
        }
        using ReceivedMessage reply = Request(VfioUserCommand.RegionRead, new RegionAccess(offset, region, (uint)data.Length, ReadOnlyMemory<byte>.Empty));
        RegionAccess answer = RegionAccess.Decode(reply.Payload, withData: true);
        if (answer.Count != (uint)data.Length)
        {
            throw new VfioUserException(Errno.EIO, $"REGION_READ returned {answer.Count} of {data.Length} bytes");
        }
        answer.Data.Span.CopyTo(data);
    }

    /// <summary>REGION_WRITE; with <paramref name="noReply"/> the server sends nothing back
    /// (errors are then lost, as the protocol says).</summary>
    public void WriteRegion(uint region, ulong offset, ReadOnlySpan<byte> data, bool noReply = false)
    {
        if (!noReply && data.Length <= FastDataLimit && TryFastRegionAccess(VfioUserCommand.RegionWrite, region, offset, data, default))
        {
            return;
        }
        var access = new RegionAccess(offset, region, (uint)data.Length, data.ToArray());
        if (noReply)
        {
            Post(VfioUserCommand.RegionWrite, access);
            return;
        }
        Request(VfioUserCommand.RegionWrite, access).Dispose();
    }

    /// <summary>Maps guest memory for the device: with <paramref name="fd"/> the server mmaps it
    /// at <paramref name="fdOffset"/>; without, it reaches the range through DMA messages.</summary>
    public void DmaMap(ulong address, ulong size, DmaMapFlags flags, SafeFd? fd = null, ulong fdOffset = 0)
    {
        SafeFd[] fds = fd is null ? [] : [fd];
        Request(VfioUserCommand.DmaMap, new DmaMapRequest(flags, fdOffset, address, size), fds).Dispose();
    }

    string IVfioDevice.Backend => "vfio-user";

    /// <summary>The server is another process: it reaches guest RAM through the memfd it maps.</summary>
    bool IVfioDevice.NeedsSharedMemory => true;

    void IVfioDevice.WriteRegion(uint region, ulong offset, ReadOnlySpan<byte> data) => WriteRegion(region, offset, data);

    void IVfioDevice.MapDma(VfioDmaRegion region)
    {
        if (region.Fd is null)
        {
            throw new ArgumentException($"guest RAM at 0x{region.Iova:x} is private memory; a vfio-user server needs it in a memfd", nameof(region));
        }
        DmaMap(region.Iova, region.Size, DmaMapFlags.Read | DmaMapFlags.Write, region.Fd, region.FdOffset);
    }

    void IVfioDevice.UnmapDma(ulong iova, ulong size) => DmaUnmap(iova, size);

    /// <summary>DMA_UNMAP: the device may no longer reach the range; with <see cref="DmaUnmapFlags.All"/> every range goes.</summary>
    /// <param name="address">The range's start, as mapped.</param>
    /// <param name="size">The range's size, as mapped.</param>
    /// <param name="flags">The unmap flags.</param>
    public void DmaUnmap(ulong address, ulong size, DmaUnmapFlags flags = DmaUnmapFlags.None)
        => Request(VfioUserCommand.DmaUnmap, new DmaUnmapRequest(flags, address, size)).Dispose();

    /// <summary>DEVICE_RESET.</summary>
    public void Reset() => Request(VfioUserCommand.DeviceReset, default(EmptyPayload)).Dispose();

    /// <summary>DEVICE_FEATURE: sends <paramref name="feature"/> and returns the server's answer.</summary>
    /// <param name="feature">The request, with its operation flags and data.</param>
    /// <param name="fds">Descriptors the feature's data refers to by index; none when null.</param>
    public DeviceFeature Feature(DeviceFeature feature, SafeFd[]? fds = null)
    {
        using ReceivedMessage reply = Request(VfioUserCommand.DeviceFeature, feature, fds);
        return DeviceFeature.Decode(reply.Payload);
    }

    /// <summary>Asks with PROBE whether the server supports <paramref name="operations"/> on <paramref name="feature"/>.</summary>
    /// <param name="feature">The feature.</param>
    /// <param name="operations"><see cref="DeviceFeatureFlags.Get"/>, <see cref="DeviceFeatureFlags.Set"/> or both.</param>
    /// <returns>False when the server answers EINVAL (not supported).</returns>
    public bool ProbeFeature(DeviceFeatureId feature, DeviceFeatureFlags operations)
    {
        try
        {
            Feature(DeviceFeature.Create(feature, DeviceFeatureFlags.Probe | operations));
            return true;
        }
        catch (VfioUserException e) when (e.Errno == Errno.EINVAL)
        {
            return false;
        }
    }

    /// <summary>Puts the device in low power (LOW_POWER_ENTRY), with no wake notification.</summary>
    public void LowPowerEntry() => Feature(DeviceFeature.Create(DeviceFeatureId.LowPowerEntry, DeviceFeatureFlags.Set));

    /// <summary>Low power with a one-shot wake eventfd, signalled once when any access or the
    /// device itself wakes it.</summary>
    public void LowPowerEntryWithWakeup(EventFd wake)
    {
        // vfio_device_low_power_entry_with_wakeup: s32 wakeup_eventfd (index of the passed fd), u32 reserved.
        byte[] data = new byte[8];
        Feature(DeviceFeature.Create(DeviceFeatureId.LowPowerEntryWithWakeup, DeviceFeatureFlags.Set, data), [wake.Handle]);
    }

    /// <summary>Brings the device back from low power (LOW_POWER_EXIT).</summary>
    public void LowPowerExit() => Feature(DeviceFeature.Create(DeviceFeatureId.LowPowerExit, DeviceFeatureFlags.Set));

    /// <summary>DMA_LOGGING_START: the device logs its DMA writes inside
    /// <paramref name="ranges"/> (all of them when empty); returns the page size it chose.</summary>
    public ulong DmaLoggingStart(ulong pageSize, IReadOnlyList<DmaLoggingRange> ranges)
    {
        DeviceFeature reply = Feature(DeviceFeature.Create(DeviceFeatureId.DmaLoggingStart, DeviceFeatureFlags.Set, new DmaLoggingControl(pageSize, ranges).ToArray()));
        return DmaLoggingControl.Decode(reply.Data.Span).PageSize;
    }

    /// <summary>DMA_LOGGING_STOP: the device stops logging its DMA writes.</summary>
    public void DmaLoggingStop() => Feature(DeviceFeature.Create(DeviceFeatureId.DmaLoggingStop, DeviceFeatureFlags.Set, new DmaLoggingControl(0, []).ToArray()));

    /// <summary>DMA_LOGGING_REPORT: the pages written in [iova, iova + length) since the last
    /// report, one bit per <paramref name="pageSize"/> page; the device clears what it reports.</summary>
    public ulong[] DmaLoggingReport(ulong iova, ulong length, ulong pageSize)
    {
        ulong bitmapBytes = VfioUser.DmaLoggingReport.BitmapBytes(length, pageSize) ?? throw new ArgumentOutOfRangeException(nameof(pageSize), "page size 0");
        ulong argsz = (ulong)(DeviceFeature.Length + VfioUser.DmaLoggingReport.HeaderLength) + bitmapBytes;
        if (argsz > ServerCapabilities.EffectiveMaxDataTransferSize)
        {
            throw new ArgumentOutOfRangeException(nameof(length), $"a report of {length:x} at {pageSize:x} needs {argsz} bytes, more than the server's max_data_xfer_size");
        }
        byte[] data = new VfioUser.DmaLoggingReport(iova, length, pageSize, []).ToArray();
        var request = new DeviceFeature((uint)argsz, (DeviceFeatureFlags)(ushort)DeviceFeatureId.DmaLoggingReport | DeviceFeatureFlags.Get, data);
        DmaLoggingReport answer = VfioUser.DmaLoggingReport.Decode(Feature(request).Data.Span);
        if (answer.Iova != iova || answer.Length != length || answer.PageSize != pageSize || (ulong)answer.Bitmap.Count * 8 != bitmapBytes)
        {
            throw new VfioUserException(Errno.EIO, $"DMA logging report answered {answer.Iova:x}+{answer.Length:x}/{answer.PageSize:x} with {answer.Bitmap.Count} words");
        }
        return [.. answer.Bitmap];
    }

    /// <summary>GET of the MIGRATION feature: which migration flows the device supports.</summary>
    /// <exception cref="VfioUserException">The server failed or answered too little data (EIO).</exception>
    public MigrationFlags GetMigrationFlags()
    {
        return (MigrationFlags)BinaryPrimitives.ReadUInt64LittleEndian(GetFeatureData(DeviceFeatureId.Migration, 8));
    }

    /// <summary>GET of MIG_DEVICE_STATE: the device's current migration state.</summary>
    /// <exception cref="VfioUserException">The server failed or answered too little data (EIO).</exception>
    public MigrationState GetMigrationState()
    {
        return (MigrationState)BinaryPrimitives.ReadUInt32LittleEndian(GetFeatureData(DeviceFeatureId.MigDeviceState, 8));
    }

    /// <summary>A GET's data, at least <paramref name="length"/> bytes: a shorter answer is the
    /// server's fault (EIO), never an out-of-range read here.</summary>
    private ReadOnlySpan<byte> GetFeatureData(DeviceFeatureId feature, int length)
    {
        DeviceFeature reply = Feature(DeviceFeature.Get(feature, length));
        if (reply.Data.Length < length)
        {
            throw new VfioUserException(Errno.EIO, $"DEVICE_FEATURE GET {feature} returned {reply.Data.Length} of {length} bytes");
        }
        return reply.Data.Span;
    }

    /// <summary>SET of MIG_DEVICE_STATE: moves the device to <paramref name="state"/>.</summary>
    /// <param name="state">The state to move to; the server refuses transitions the VFIO migration protocol does not allow.</param>
    public void SetMigrationState(MigrationState state)
    {
        byte[] data = new byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(data, (uint)state);
        Feature(DeviceFeature.Create(DeviceFeatureId.MigDeviceState, DeviceFeatureFlags.Set, data));
    }

    /// <summary>One MIG_DATA_READ; an empty result means the device has no more data.</summary>
    public byte[] ReadMigrationData(uint maxBytes)
    {
        using ReceivedMessage reply = Request(VfioUserCommand.MigDataRead, MigData.ReadRequest(maxBytes));
        MigData answer = MigData.Decode(reply.Payload);
        if (answer.Size > maxBytes || answer.Size > answer.Data.Length)
        {
            throw new VfioUserException(Errno.EIO, $"MIG_DATA_READ returned size {answer.Size} for {maxBytes}");
        }
        return answer.Data[..(int)answer.Size].ToArray();
    }

    /// <summary>One MIG_DATA_WRITE of <paramref name="data"/> to a device in RESUMING.</summary>
    public void WriteMigrationData(ReadOnlyMemory<byte> data) => Request(VfioUserCommand.MigDataWrite, MigData.Write(data)).Dispose();

    /// <summary>Sends a command and waits for its reply; an error reply becomes a
    /// <see cref="VfioUserException"/> with the server's errno.</summary>
    public ReceivedMessage Request(VfioUserCommand command, IVfioUserPayload payload, SafeFd[]? fds = null)
    {
        ThrowIfFailed();
        ushort id = (ushort)Interlocked.Increment(ref _nextId);
        var waiter = new TaskCompletionSource<ReceivedMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_pending.TryAdd(id, waiter))
        {
            throw new InvalidOperationException("65536 requests outstanding");
        }
        if (_failure is Exception failed)
        {
            // The reader may have failed between ThrowIfFailed and TryAdd.
            waiter.TrySetException(new VfioUserDisconnectedException(failed.Message, failed));
        }
        try
        {
            _channel.Send(new MessageHeader(id, command, 0, MessageFlags.Command, 0), payload, fds);
            if (!waiter.Task.Wait(_options.ReplyTimeout))
            {
                throw new TimeoutException($"no reply to {command} #{id} within {_options.ReplyTimeout}");
            }
        }
        catch (AggregateException e) when (e.InnerException is not null)
        {
            throw e.InnerException;
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
        ReceivedMessage reply = waiter.Task.Result;
        if (reply.Header.Command != command)
        {
            reply.Dispose();
            throw new VfioUserException(Errno.EIO, $"reply #{id} is for {reply.Header.Command}, not {command}");
        }
        if (reply.Header.IsError)
        {
            // libvfio-user maps an error of 0 or above 4096 to EINVAL; do the same.
            int errno = reply.Header.Error is 0 or > 4096 ? Errno.EINVAL : (int)reply.Header.Error;
            reply.Dispose();
            throw new VfioUserException(errno, $"{command} failed") { IsErrorReply = true };
        }
        return reply;
    }

    /// <summary>Sends a command with No_reply set.</summary>
    public void Post(VfioUserCommand command, IVfioUserPayload payload, SafeFd[]? fds = null)
    {
        ThrowIfFailed();
        ushort id = (ushort)Interlocked.Increment(ref _nextId);
        _channel.Send(new MessageHeader(id, command, 0, MessageFlags.Command | MessageFlags.NoReply, 0), payload, fds);
    }

    /// <summary>Shuts the connection down, waits briefly for the reader thread, and fails every request still waiting.</summary>
    public void Dispose()
    {
        Interlocked.CompareExchange(ref _failure, new ObjectDisposedException(nameof(VfioUserClient)), null);
        _channel.Shutdown();
        _twin?.Shutdown();
        if (Thread.CurrentThread != _reader)
        {
            _reader.Join(TimeSpan.FromSeconds(5));
        }
        if (_twinReader is not null && Thread.CurrentThread != _twinReader)
        {
            _twinReader.Join(TimeSpan.FromSeconds(5));
        }
        _channel.Dispose();
        _twin?.Dispose();
    }

    private void Negotiate()
    {
        var caps = new VfioUserCapabilities
        {
            MaxMessageFds = _options.MaxMessageFds,
            MaxDataTransferSize = _options.MaxDataTransferSize,
            MaxDmaMaps = VfioUserCapabilities.DefaultMaxDmaMaps,
            PageSizes = VfioUserCapabilities.DefaultPageSizes,
            MigrationPageSize = VfioUserCapabilities.DefaultPageSizes,
            VireoLowPower = _options.AnnounceLowPower ? true : null,
            VireoAcpiNotify = _options.AnnounceAcpiNotify ? true : null,
            TwinSocket = _options.RequestTwinSocket ? true : null,
        };
        using ReceivedMessage reply = Request(VfioUserCommand.Version, new VersionPayload(ProtocolMajor, ProtocolMinor, caps.ToJson()));
        VersionPayload version = VersionPayload.Decode(reply.Payload);
        if (version.Major != ProtocolMajor || version.Minor > ProtocolMinor)
        {
            throw new VfioUserException(Errno.EINVAL, $"server answered version {version.Major}.{version.Minor} to {ProtocolMajor}.{ProtocolMinor}");
        }
        Major = version.Major;
        Minor = version.Minor;
        ServerCapabilitiesJson = version.Capabilities;
        ServerCapabilities = version.Capabilities is null ? new VfioUserCapabilities() : VfioUserCapabilities.Parse(version.Capabilities);
        if (ServerCapabilities.TwinSocket == true)
        {
            AcceptTwinSocket(reply);
        }
    }

    /// <summary>Takes the twin socket named by fd_index. A server that grants what was not asked,
    /// or names no fd, would send its DMA where nobody listens: the connection is refused (EIO).</summary>
    private void AcceptTwinSocket(ReceivedMessage reply)
    {
        if (!_options.RequestTwinSocket)
        {
            throw new VfioUserException(Errno.EIO, "the server granted a twin socket the client did not ask for");
        }
        if (ServerCapabilities.TwinSocketFdIndex is not int index || index < 0 || index >= reply.FdCount)
        {
            throw new VfioUserException(Errno.EIO, $"twin_socket fd_index {ServerCapabilities.TwinSocketFdIndex?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "missing"} with {reply.FdCount} fds");
        }
        _twin = new MessageChannel(UnixSocket.FromHandle(reply.TakeFd(index)), MessageChannel.PayloadLimit(_options.MaxDataTransferSize), 0);
        _twinReader = new Thread(TwinLoop) { IsBackground = true, Name = "vfio-user client twin" };
        _twinReader.Start();
    }

    /// <summary>Serves the server's commands on the twin socket; it carries nothing else.</summary>
    private void TwinLoop()
    {
        MessageChannel twin = _twin!;
        var fds = new List<SafeFd>();
        try
        {
            while (true)
            {
                if (!twin.ReceiveHeader(fds, out MessageHeader header, out long deadline))
                {
                    return;
                }
                if (!header.IsCommand)
                {
                    Fail(new VfioUserDisconnectedException($"the server sent a reply (#{header.MessageId}) on the twin socket"));
                    return;
                }
                ServeServerCommand(twin, header, fds, deadline);
            }
        }
        catch (Exception e) when (e is VfioUserDisconnectedException or VfioUserException or ErrnoException)
        {
            Fail(e);
        }
        finally
        {
            CloseAll(fds);
        }
    }

    private static void CloseAll(List<SafeFd> fds)
    {
        foreach (SafeFd fd in fds)
        {
            fd.Dispose();
        }
        fds.Clear();
    }

    private void ThrowIfFailed()
    {
        if (_failure is not null)
        {
            throw new VfioUserDisconnectedException($"the connection is closed: {_failure.Message}", _failure);
        }
    }

    private void ReadLoop()
    {
        // One list for every message's descriptors: a reply without fds costs no allocation.
        var fds = new List<SafeFd>();
        try
        {
            while (true)
            {
                if (!_channel.ReceiveHeader(fds, out MessageHeader header, out long deadline))
                {
                    Fail(new VfioUserDisconnectedException("the server closed the connection"));
                    return;
                }
                if (header.IsReply && fds.Count == 0 && TryDeliverFast(header, deadline))
                {
                    continue;
                }
                if (!header.IsReply)
                {
                    ServeServerCommand(_channel, header, fds, deadline);
                    continue;
                }
                ReceivedMessage message = _channel.ReceiveRest(header, fds, deadline);
                if (!_pending.TryGetValue(header.MessageId, out TaskCompletionSource<ReceivedMessage>? waiter) || !waiter.TrySetResult(message))
                {
                    message.Dispose();
                    // A reply to nothing means the stream is out of step: stop trusting it.
                    Fail(new VfioUserDisconnectedException($"unexpected reply #{header.MessageId} for {header.Command}"));
                    return;
                }
            }
        }
        catch (Exception e) when (e is VfioUserDisconnectedException or VfioUserException or ErrnoException)
        {
            Fail(e);
        }
        finally
        {
            CloseAll(fds);
        }
    }

    /// <summary>Reads a region-access reply's payload into the waiter that expects its id; false
    /// when none does (the reply then goes the general way).</summary>
    private bool TryDeliverFast(MessageHeader header, long deadline)
    {
        FastWaiter? waiter = Volatile.Read(ref _fast[header.MessageId % FastWaiters]);
        if (waiter is null || header.PayloadSize > waiter.Buffer.Length
            || Interlocked.CompareExchange(ref waiter.ExpectedId, FastWaiter.Claimed, header.MessageId) != header.MessageId)
        {
            return false;
        }
        try
        {
            _channel.ReceivePayload(waiter.Buffer.AsSpan(0, header.PayloadSize), deadline);
        }
        catch (Exception e)
        {
            waiter.Failure = e;
            waiter.Done.Set();
            throw;
        }
        waiter.Reply = header;
        waiter.Done.Set();
        return true;
    }

    /// <summary>REGION_READ or REGION_WRITE on a reusable waiter with the message built on the
    /// stack; false when the id's waiter is busy (the caller takes the general path).</summary>
    private bool TryFastRegionAccess(VfioUserCommand command, uint region, ulong offset, ReadOnlySpan<byte> write, Span<byte> read)
    {
        ThrowIfFailed();
        ushort id = (ushort)Interlocked.Increment(ref _nextId);
        FastWaiter waiter = Volatile.Read(ref _fast[id % FastWaiters]) ?? CreateFastWaiter(id % FastWaiters);
        if (Interlocked.CompareExchange(ref waiter.ExpectedId, id, FastWaiter.Idle) != FastWaiter.Idle)
        {
            return false;
        }
        // Only this thread moves the waiter back to Idle; the reader claims it (Claimed) while it
        // reads the reply, and Fail only wakes it.
        bool release = true;
        try
        {
            waiter.Done.Reset();
            waiter.Failure = null;
            // Fail may have run before the waiter was reset, and its wake-up is gone with the reset.
            ThrowIfFailed();
            int count = command == VfioUserCommand.RegionWrite ? write.Length : read.Length;
            int length = MessageHeader.Size + RegionAccess.Length + write.Length;
            Span<byte> message = stackalloc byte[MessageHeader.Size + RegionAccess.Length + FastDataLimit];
            message = message[..length];
            new MessageHeader(id, command, (uint)length, MessageFlags.Command, 0).Write(message);
            Span<byte> body = message[MessageHeader.Size..];
            BinaryPrimitives.WriteUInt64LittleEndian(body, offset);
            BinaryPrimitives.WriteUInt32LittleEndian(body[8..], region);
            BinaryPrimitives.WriteUInt32LittleEndian(body[12..], (uint)count);
            write.CopyTo(body[RegionAccess.Length..]);
            _channel.SendRaw(message);
            if (!waiter.Done.Wait(_options.ReplyTimeout))
            {
                if (Interlocked.CompareExchange(ref waiter.ExpectedId, FastWaiter.Idle, id) == id || !waiter.Done.Wait(_options.ReplyTimeout))
                {
                    // Nothing came; or the reader is stuck inside the reply's payload and still
                    // owns the buffer, and then this waiter is never used again.
                    release = Volatile.Read(ref waiter.ExpectedId) != FastWaiter.Claimed;
                    throw new TimeoutException($"no reply to {command} #{id} within {_options.ReplyTimeout}");
                }
            }
            if (waiter.Failure is Exception failure)
            {
                throw new VfioUserDisconnectedException(failure.Message, failure);
            }
            MessageHeader reply = waiter.Reply;
            if (reply.Command != command)
            {
                throw new VfioUserException(Errno.EIO, $"reply #{id} is for {reply.Command}, not {command}");
            }
            if (reply.IsError)
            {
                // libvfio-user maps an error of 0 or above 4096 to EINVAL; do the same.
                int errno = reply.Error is 0 or > 4096 ? Errno.EINVAL : (int)reply.Error;
                throw new VfioUserException(errno, $"{command} failed") { IsErrorReply = true };
            }
            ReadOnlySpan<byte> payload = waiter.Buffer.AsSpan(0, reply.PayloadSize);
            int expected = RegionAccess.Length + (command == VfioUserCommand.RegionRead ? read.Length : 0);
            if (payload.Length != expected || BinaryPrimitives.ReadUInt32LittleEndian(payload[12..]) != (uint)count)
            {
                throw new VfioUserException(Errno.EIO, $"{command} of {count} bytes answered with {payload.Length} payload bytes");
            }
            payload[RegionAccess.Length..].CopyTo(read);
            return true;
        }
        finally
        {
            if (release)
            {
                Volatile.Write(ref waiter.ExpectedId, FastWaiter.Idle);
            }
        }
    }

    private FastWaiter CreateFastWaiter(int index)
    {
        // Once per index for the client's life; a racing creator's waiter wins and this one is dropped.
        var waiter = new FastWaiter();
        return Interlocked.CompareExchange(ref _fast[index], waiter, null) ?? waiter;
    }

    /// <summary>Serves a command from the server whose header was just read: DMA_READ and
    /// DMA_WRITE, with the payload read here. The data moves between the socket and a pooled
    /// buffer (or guest memory itself, when the target lends it), never through a per-message
    /// array. A refused command is still read to its end, so the stream stays at a message
    /// boundary; descriptors (none are expected) are closed.</summary>
    private void ServeServerCommand(MessageChannel channel, MessageHeader header, List<SafeFd> fds, long deadline)
    {
        CloseAll(fds);
        int left = header.PayloadSize;
        byte[]? pooled = null;
        try
        {
            IVfioUserDmaTarget target = _options.DmaTarget ?? throw new VfioUserException(Errno.EFAULT, "no DMA target");
            if (header.Command is not (VfioUserCommand.DmaRead or VfioUserCommand.DmaWrite))
            {
                throw new VfioUserException(Errno.EINVAL, $"server sent command {header.Command}");
            }
            if (left < DmaAccess.Length)
            {
                throw new VfioUserException(Errno.EINVAL, $"{header.Command} payload of {left} bytes, shorter than its {DmaAccess.Length}-byte header");
            }
            Span<byte> fixedPart = stackalloc byte[DmaAccess.Length];
            channel.ReceivePayload(fixedPart, deadline);
            left -= DmaAccess.Length;
            DmaAccess request = DmaAccess.Decode(fixedPart, withData: false);
            var replyHeader = new MessageHeader(header.MessageId, header.Command, 0, MessageFlags.Reply, 0);
            if (header.Command == VfioUserCommand.DmaRead)
            {
                // Bytes after the fixed part of a read request mean nothing; they are dropped.
                channel.SkipPayload(left, deadline);
                left = 0;
                if (request.Count > _options.MaxDataTransferSize)
                {
                    throw new VfioUserException(Errno.EINVAL, $"DMA_READ of {request.Count} bytes");
                }
                int count = (int)request.Count;
                if (!TryGetSpan(target, request.Address, count, forWrite: false, out Span<byte> data))
                {
                    data = (pooled = ArrayPool<byte>.Shared.Rent(count)).AsSpan(0, count);
                    target.Read(request.Address, data);
                }
                if (!header.NoReply)
                {
                    channel.SendWithData(replyHeader, request, data);
                }
                return;
            }
            if (request.Count != (ulong)left)
            {
                throw new VfioUserException(Errno.EINVAL, $"DMA access count {request.Count} but {left} data bytes");
            }
            // The framing limit already capped left at max_data_xfer_size plus a little.
            if (TryGetSpan(target, request.Address, left, forWrite: true, out Span<byte> guest))
            {
                channel.ReceivePayload(guest, deadline);
                left = 0;
            }
            else
            {
                Span<byte> written = (pooled = ArrayPool<byte>.Shared.Rent(left)).AsSpan(0, left);
                channel.ReceivePayload(written, deadline);
                left = 0;
                target.Write(request.Address, written);
            }
            if (!header.NoReply)
            {
                channel.SendWithData(replyHeader, request, ReadOnlySpan<byte>.Empty);
            }
        }
        // A target that rejects an access (out of range, not mapped) refuses that DMA only: the
        // same exceptions the server forgives a device callback. A closed channel is no refusal.
        catch (Exception e) when (e is VfioUserException or ArgumentException or ErrnoException or OverflowException or IndexOutOfRangeException
            || (e is InvalidOperationException && e is not ObjectDisposedException))
        {
            channel.SkipPayload(left, deadline);
            if (!header.NoReply)
            {
                channel.SendError(header.MessageId, header.Command, e is VfioUserException v ? v.Errno : Errno.EFAULT);
            }
        }
        finally
        {
            if (pooled is not null)
            {
                ArrayPool<byte>.Shared.Return(pooled);
            }
        }
    }

    /// <summary>The target's span for the access, if it lends one; one of another length is the
    /// target's bug, refused (EFAULT) rather than sent or overrun.</summary>
    private static bool TryGetSpan(IVfioUserDmaTarget target, ulong address, int length, bool forWrite, out Span<byte> memory)
    {
        if (!target.TryGetSpan(address, length, forWrite, out memory))
        {
            return false;
        }
        if (memory.Length != length)
        {
            throw new ArgumentException($"the DMA target lent {memory.Length} bytes for {length}");
        }
        return true;
    }

    private void Fail(Exception reason)
    {
        if (Interlocked.CompareExchange(ref _failure, reason, null) is null)
        {
            try
            {
                Disconnected?.Invoke(reason);
            }
            catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
            {
                // A handler whose owner is closing; the failure below is what matters.
            }
        }
        foreach (TaskCompletionSource<ReceivedMessage> waiter in _pending.Values)
        {
            waiter.TrySetException(new VfioUserDisconnectedException(reason.Message, reason));
        }
        foreach (FastWaiter? waiter in _fast)
        {
            if (waiter is not null && Volatile.Read(ref waiter.ExpectedId) != FastWaiter.Idle)
            {
                waiter.Failure = reason;
                waiter.Done.Set();
            }
        }
        _channel.Shutdown();
        _twin?.Shutdown();
    }

    /// <summary>One reusable region-access request: the id it waits for, the reply's header and
    /// payload, and the event its vCPU sleeps on.</summary>
    private sealed class FastWaiter
    {
        public const int Idle = -1;
        public const int Claimed = -2;

        // Idle, Claimed (the reader is filling Buffer) or the message id awaited.
        public int ExpectedId = Idle;
        public readonly byte[] Buffer = new byte[RegionAccess.Length + FastDataLimit];
        public readonly ManualResetEventSlim Done = new(false);
        public MessageHeader Reply;
        public Exception? Failure;
    }
}
