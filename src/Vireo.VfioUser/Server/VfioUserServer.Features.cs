using System.Buffers.Binary;
using Vireo.Sys;

namespace Vireo.VfioUser;

public sealed partial class VfioUserServer
{
    private readonly LowPowerState _power;
    private readonly MigrationStream _migration;

    /// <inheritdoc/>
    public bool IsLowPower
    {
        get
        {
            lock (_lock)
            {
                return _power.IsLowPower;
            }
        }
    }

    /// <summary>True while the device is in low power with the client's wake eventfd armed
    /// (LOW_POWER_ENTRY_WITH_WAKEUP): a <see cref="RequestWake"/> now signals it.</summary>
    public bool WakeArmed
    {
        get
        {
            lock (_lock)
            {
                return _power.Mode == LowPowerMode.EnteredWithWakeup;
            }
        }
    }

    /// <summary>Low-power entries, exits and wake signals seen so far.</summary>
    public VfioUserPowerCounts PowerCounts
    {
        get
        {
            lock (_lock)
            {
                return _power.Counts;
            }
        }
    }

    /// <summary>The device's migration state as the client last set it.</summary>
    public MigrationState MigrationState
    {
        get
        {
            lock (_lock)
            {
                return _migration.State;
            }
        }
    }

    /// <summary>Device-initiated wake. With a wake eventfd the device leaves low power and the
    /// client is told once. Without one the client opted out of wake notifications (the policy
    /// is the client's, seed 002), so nothing changes and nothing is signalled.</summary>
    public void RequestWake()
    {
        lock (_lock)
        {
            _power.RequestWake();
        }
    }

    private void WakeForAccess() => _power.WakeForAccess();

    private void EndAccess() => _power.EndAccess();

    private void DropLowPowerWake() => _power.DropWake();

    private DeviceFeatureFlags SupportedOperations(DeviceFeatureId feature) => feature switch
    {
        DeviceFeatureId.Migration when _backend.SupportsMigration => DeviceFeatureFlags.Get | DeviceFeatureFlags.Probe,
        DeviceFeatureId.MigDeviceState when _backend.SupportsMigration => DeviceFeatureFlags.Get | DeviceFeatureFlags.Set | DeviceFeatureFlags.Probe,
        // Dirty logging serves migration, so it comes with it, as in libvfio-user.
        DeviceFeatureId.DmaLoggingStart or DeviceFeatureId.DmaLoggingStop when _backend.SupportsMigration => DeviceFeatureFlags.Set | DeviceFeatureFlags.Probe,
        DeviceFeatureId.DmaLoggingReport when _backend.SupportsMigration => DeviceFeatureFlags.Get | DeviceFeatureFlags.Probe,
        DeviceFeatureId.LowPowerEntry or DeviceFeatureId.LowPowerEntryWithWakeup or DeviceFeatureId.LowPowerExit when _lowPowerNegotiated
            => DeviceFeatureFlags.Set | DeviceFeatureFlags.Probe,
        _ => 0,
    };

    private IVfioUserPayload HandleDeviceFeature(ReceivedMessage message)
    {
        DeviceFeature request = DeviceFeature.Decode(message.Payload);
        DeviceFeatureFlags operations = request.Operations;
        DeviceFeatureFlags supported = SupportedOperations(request.Feature);
        // libvfio-user's test: every requested operation must be supported.
        if (supported == 0 || (operations & supported) != operations || operations == 0)
        {
            throw new VfioUserException(Errno.EINVAL, $"device feature {(ushort)request.Feature} operations {(uint)operations:x}");
        }
        if ((operations & DeviceFeatureFlags.Probe) != 0)
        {
            RequireArgsz(request, message.Payload.Length);
            return new RawPayload(message.Payload);
        }
        if (operations == DeviceFeatureFlags.Get)
        {
            return request.Feature switch
            {
                DeviceFeatureId.DmaLoggingReport => HandleDmaLoggingReport(request),
                DeviceFeatureId.Migration => FeatureReply(request, 8, span => BinaryPrimitives.WriteUInt64LittleEndian(span, (ulong)(MigrationFlags.StopCopy | MigrationFlags.PreCopy))),
                _ => FeatureReply(request, 8, span => BinaryPrimitives.WriteUInt32LittleEndian(span, (uint)_migration.State)),
            };
        }
        if (operations != DeviceFeatureFlags.Set)
        {
            throw new VfioUserException(Errno.EINVAL, "GET and SET together");
        }
        RequireArgsz(request, message.Payload.Length);
        switch (request.Feature)
        {
            case DeviceFeatureId.MigDeviceState:
                if (request.Data.Length < 8)
                {
                    throw new VfioUserException(Errno.EINVAL, "MIG_DEVICE_STATE needs 8 bytes");
                }
                _migration.MoveTo((MigrationState)BinaryPrimitives.ReadUInt32LittleEndian(request.Data.Span));
                break;
            case DeviceFeatureId.DmaLoggingStart:
            {
                if (_dirtyLog is not null)
                {
                    // linux/vfio.h: another start is not allowed until the matching stop.
                    throw new VfioUserException(Errno.EBUSY, "DMA logging is already started");
                }
                DmaLoggingControl control = DmaLoggingControl.Decode(request.Data.Span);
                _dirtyLog = DirtyLog.Start(control);
                // The reply is the request, with the page size the device chose.
                DmaLoggingControl chosen = control with { PageSize = _dirtyLog.PageSize };
                byte[] reply = new byte[DeviceFeature.Length + chosen.EncodedLength];
                new DeviceFeature(request.Argsz, request.Flags, chosen.ToArray()).Encode(reply);
                return new RawPayload(reply);
            }
            case DeviceFeatureId.DmaLoggingStop:
                // linux/vfio.h gives STOP no data; whatever the client sent is echoed, unread.
                _dirtyLog = null;
                break;
            case DeviceFeatureId.LowPowerEntry:
                if (_power.IsLowPower || message.FdCount != 0)
                {
                    throw new VfioUserException(Errno.EINVAL, "LOW_POWER_ENTRY while in low power, or with fds");
                }
                _power.Enter(LowPowerMode.Entered, null);
                break;
            case DeviceFeatureId.LowPowerEntryWithWakeup:
                // vfio.h struct vfio_device_low_power_entry_with_wakeup {s32 wakeup_eventfd; u32
                // reserved}: over vfio-user the eventfd travels by SCM_RIGHTS and the field is
                // its index among the message's fds (0).
                if (_power.IsLowPower || request.Data.Length < 8 || message.FdCount != 1
                    || BinaryPrimitives.ReadInt32LittleEndian(request.Data.Span) != 0)
                {
                    throw new VfioUserException(Errno.EINVAL, "LOW_POWER_ENTRY_WITH_WAKEUP needs one eventfd at index 0, outside low power");
                }
                _power.Enter(LowPowerMode.EnteredWithWakeup, EventFd.FromHandle(message.TakeFd(0)));
                break;
            case DeviceFeatureId.LowPowerExit:
                // vfio.h: LOW_POWER_EXIT may itself produce the wake-up notification.
                _power.Exit(signal: true);
                break;
            default:
                throw new VfioUserException(Errno.EINVAL, $"device feature {(ushort)request.Feature} has no SET");
        }
        return new RawPayload(message.Payload);
    }

    private DirtyLog? _dirtyLog;

    private RawPayload HandleDmaLoggingReport(DeviceFeature request)
    {
        DirtyLog log = _dirtyLog ?? throw new VfioUserException(Errno.EINVAL, "DMA logging report while logging is stopped");
        if (request.Data.Length < DmaLoggingReport.HeaderLength)
        {
            throw new VfioUserException(Errno.EINVAL, $"DMA logging report of {request.Data.Length} bytes");
        }
        DmaLoggingReport asked = DmaLoggingReport.Decode(request.Data.Span[..DmaLoggingReport.HeaderLength]);
        // Size the bitmap against the client's argsz and its transfer limit before making it.
        ulong? bitmapBytes = DmaLoggingReport.BitmapBytes(asked.Length, asked.PageSize);
        ulong replyBytes = (ulong)(DeviceFeature.Length + DmaLoggingReport.HeaderLength) + (bitmapBytes ?? 0);
        if (bitmapBytes is null || replyBytes > request.Argsz || replyBytes > DataLimit)
        {
            throw new VfioUserException(Errno.EINVAL, $"DMA logging report of {asked.Length:x} at page size {asked.PageSize:x} needs {replyBytes} bytes, argsz {request.Argsz}");
        }
        ulong[] bitmap = log.Report(asked.Iova, asked.Length, asked.PageSize);
        byte[] data = (asked with { Bitmap = bitmap }).ToArray();
        return FeatureReply(request, data.Length, span => data.CopyTo(span));
    }

    /// <summary>The most data one reply may carry: what the client accepts, and never more than
    /// the server's own limit, whatever the client announced.</summary>
    private uint DataLimit => Math.Min(_client.EffectiveMaxDataTransferSize, _options.MaxDataTransferSize);

    private void MarkDmaWritten(ulong address, int length) => _dirtyLog?.MarkWritten(address, (ulong)length);

    private void StopDirtyLog() => _dirtyLog = null;

    private static void RequireArgsz(DeviceFeature request, int payloadLength)
    {
        if (request.Argsz < payloadLength)
        {
            throw new VfioUserException(Errno.EINVAL, $"device feature argsz {request.Argsz} < {payloadLength}");
        }
    }

    private static RawPayload FeatureReply(DeviceFeature request, int dataLength, SpanAction fill)
    {
        if (request.Argsz < DeviceFeature.Length + dataLength)
        {
            throw new VfioUserException(Errno.EINVAL, $"device feature GET argsz {request.Argsz} has no room for {dataLength} bytes");
        }
        byte[] reply = new byte[DeviceFeature.Length + dataLength];
        BinaryPrimitives.WriteUInt32LittleEndian(reply, (uint)reply.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(reply.AsSpan(4), (uint)request.Flags);
        fill(reply.AsSpan(DeviceFeature.Length));
        return new RawPayload(reply);
    }

    private delegate void SpanAction(Span<byte> span);

    internal static MigrationState NextMigrationState(MigrationState from, MigrationState to) => MigrationStream.Next(from, to);

    private IVfioUserPayload HandleMigDataRead(ReadOnlySpan<byte> payload)
    {
        MigData request = MigData.Decode(payload);
        if (!_backend.SupportsMigration || !_migration.CanRead)
        {
            throw new VfioUserException(Errno.EINVAL, $"MIG_DATA_READ in state {_migration.State}");
        }
        // The size is checked against our own limit before anything is allocated: a client may
        // announce a max_data_xfer_size of 4 GiB (issue 17).
        if (request.Size > DataLimit || request.Argsz < MigData.Length + (ulong)request.Size)
        {
            throw new VfioUserException(Errno.EINVAL, $"MIG_DATA_READ size {request.Size} argsz {request.Argsz}");
        }
        // libvfio-user sizes the reply for the size asked and reports the bytes produced in
        // argsz and size; the tail is zero.
        byte[] data = new byte[request.Size];
        int n = _migration.Read(data);
        return new MigData((uint)(MigData.Length + n), (uint)n, data);
    }

    private IVfioUserPayload HandleMigDataWrite(ReadOnlySpan<byte> payload)
    {
        MigData request = MigData.Decode(payload);
        if (!_backend.SupportsMigration || !_migration.CanWrite)
        {
            throw new VfioUserException(Errno.EINVAL, $"MIG_DATA_WRITE in state {_migration.State}");
        }
        if (request.Size > _options.MaxDataTransferSize || request.Argsz < MigData.Length + (ulong)request.Size || (ulong)request.Data.Length < request.Size)
        {
            throw new VfioUserException(Errno.EINVAL, $"MIG_DATA_WRITE size {request.Size} argsz {request.Argsz}");
        }
        _migration.Write(request.Data.Span[..(int)request.Size]);
        return default(EmptyPayload);
    }

    private void ResetMigrationStreams() => _migration.Rewind();
}
