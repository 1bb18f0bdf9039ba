using System.Runtime.InteropServices;
using System.Text;
using Vireo.Memory;
using Vireo.Pci;
using Vireo.Sys;

namespace Vireo.Virtio;

/// <summary>
/// The block device (virtio 1.2 §5.2): one request queue over an <see cref="IBlockBackend"/>.
/// A request is a 16-byte readable header, readable data (a write, discard ranges) or writable
/// data (a read, the ID), and a final writable status byte; the device reads the chain as bytes
/// whatever its buffer boundaries. A request the device can answer but not serve (past the end,
/// a misshapen data area, a write to a read-only disk, a failing backend) gets
/// <see cref="StatusIoError"/>; only a chain without a status byte to answer in is a
/// <see cref="VirtqueueException"/>.
/// </summary>
/// <remarks>Each request is checked whole against the disk's size and the device's limits before
/// any I/O, then executed, then completed. Without an <see cref="IBlockIoEngine"/> every request is
/// served synchronously inside <see cref="ProcessQueue"/>. With one, reads and writes whose data is
/// plain guest RAM go to the engine (all of one queue pass in one batch) and complete on a later
/// pass, when the engine's <see cref="HostEventSources"/> wakes the queue worker, unless the
/// request is alone in an idle queue (then it is served in place, which `vireo bench disk`
/// measured faster at queue depth 1 and no slower for direct I/O); everything else
/// (discard, write zeroes, GET_ID, a write to a write-through disk, a request the engine
/// refuses) is still served in place. A flush goes to the engine too: it covers the writes
/// completed before it, as §5.2.6.2 asks, not those still in flight. Data that is not plain RAM passes through one bounce buffer
/// of <see cref="ChunkSize"/> bytes, whatever size the guest asks for. What the device serves follows the features the driver
/// accepted (<see cref="FeaturesNegotiated"/>): without VIRTIO_BLK_F_DISCARD or
/// VIRTIO_BLK_F_WRITE_ZEROES those requests are <see cref="StatusUnsupported"/>, and without
/// VIRTIO_BLK_F_FLUSH the disk is write-through (<see cref="WriteThrough"/>). Not thread-safe: the
/// transport serialises its calls.</remarks>
public sealed class VirtioBlock : IVirtioDevice, IVirtioHostEvents, IDeviceCounters, IDisposable
{
    /// <summary>Device ID of the block device (§5).</summary>
    public const ushort BlockDeviceType = 2;

    /// <summary>The request queue's size.</summary>
    public const ushort QueueSize = 256;

    /// <summary>The unit of capacity, sector numbers and data lengths (§5.2.4).</summary>
    public const int SectorSize = 512;

    /// <summary>seg_max: data segments per request; the header and status take two of the
    /// queue's descriptors (Linux sizes its scatter list from this).</summary>
    public const uint MaxSegments = QueueSize - 2;

    /// <summary>max_discard_sectors and max_write_zeroes_sectors: 32 MiB per range, so a range
    /// that the file system cannot free or zero itself costs a bounded amount of written zeroes.</summary>
    public const uint MaxDiscardSectors = 1 << 16;

    /// <summary>max_discard_seg and max_write_zeroes_seg: one range per request.</summary>
    public const uint MaxDiscardSegments = 1;

    /// <summary>discard_sector_alignment: 4 KiB, the block of common host file systems, below
    /// which a hole cannot be punched.</summary>
    public const uint DiscardSectorAlignment = 8;

    /// <summary>VIRTIO_BLK_ID_BYTES: the length of the ID a GET_ID request returns.</summary>
    public const int IdLength = 20;

    /// <summary>The bounce buffer between guest memory and the backend.</summary>
    public const int ChunkSize = 64 * 1024;

    /// <summary>VIRTIO_BLK_F_SEG_MAX (bit 2): seg_max is valid.</summary>
    public const ulong FeatureSegMax = 1UL << 2;
    /// <summary>VIRTIO_BLK_F_RO (bit 5): the disk is read-only.</summary>
    public const ulong FeatureReadOnly = 1UL << 5;
    /// <summary>VIRTIO_BLK_F_BLK_SIZE (bit 6): blk_size is valid.</summary>
    public const ulong FeatureBlockSize = 1UL << 6;
    /// <summary>VIRTIO_BLK_F_FLUSH (bit 9): the flush request is supported.</summary>
    public const ulong FeatureFlush = 1UL << 9;
    /// <summary>VIRTIO_BLK_F_DISCARD (bit 13): the discard request and its config fields.</summary>
    public const ulong FeatureDiscard = 1UL << 13;
    /// <summary>VIRTIO_BLK_F_WRITE_ZEROES (bit 14): the write zeroes request and its config fields.</summary>
    public const ulong FeatureWriteZeroes = 1UL << 14;

    /// <summary>VIRTIO_BLK_T_IN: read sectors into the writable data.</summary>
    public const uint RequestIn = 0;
    /// <summary>VIRTIO_BLK_T_OUT: write the readable data to sectors.</summary>
    public const uint RequestOut = 1;
    /// <summary>VIRTIO_BLK_T_FLUSH: make completed writes durable.</summary>
    public const uint RequestFlush = 4;
    /// <summary>VIRTIO_BLK_T_GET_ID: return the device ID string.</summary>
    public const uint RequestGetId = 8;
    /// <summary>VIRTIO_BLK_T_DISCARD: the ranges in the data are no longer needed.</summary>
    public const uint RequestDiscard = 11;
    /// <summary>VIRTIO_BLK_T_WRITE_ZEROES: the ranges in the data read as zeroes.</summary>
    public const uint RequestWriteZeroes = 13;

    /// <summary>VIRTIO_BLK_S_OK.</summary>
    public const byte StatusOk = 0;
    /// <summary>VIRTIO_BLK_S_IOERR.</summary>
    public const byte StatusIoError = 1;
    /// <summary>VIRTIO_BLK_S_UNSUPP.</summary>
    public const byte StatusUnsupported = 2;

    // Execute's answer for a request the engine took: it completes later.
    private const byte StatusPending = 0xff;

    private readonly IBlockBackend _backend;
    private readonly IBlockIoEngine? _engine;
    private readonly IReadOnlyList<SafeFd> _engineSources;
    // Requests in the engine, by tag; _free lists the unused tags.
    private readonly InFlight[] _inFlight;
    private readonly Stack<int> _free = new();
    private int _inFlightCount;
    private readonly byte[] _serial;
    private readonly byte[] _chunk = new byte[ChunkSize];
    private readonly VirtioBlockConfig _config;
    private ulong _negotiated;
    private long _readOps;
    private long _readBytes;
    private long _writeOps;
    private long _writeBytes;
    private long _flushOps;
    private long _discardOps;
    private long _writeZeroesOps;
    private long _errors;

    /// <summary>A block device over <paramref name="backend"/> whose ID (GET_ID) is
    /// <paramref name="id"/>, cut to <see cref="IdLength"/> bytes of UTF-8.</summary>
    /// <param name="backend">The disk; the device does not own it.</param>
    /// <param name="id">The disk's ID, the guest's serial (/sys/block/vdX/serial).</param>
    /// <param name="engine">Where reads and writes run asynchronously (the device owns it and
    /// disposes it), or null to serve every request synchronously on the queue's thread.</param>
    public VirtioBlock(IBlockBackend backend, string id, IBlockIoEngine? engine = null)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(id);
        ArgumentOutOfRangeException.ThrowIfNegative(backend.Size);
        _backend = backend;
        _engine = engine;
        _engineSources = engine is null ? [] : [engine.CompletionSource];
        _inFlight = new InFlight[engine is null ? 0 : QueueSize];
        for (int tag = _inFlight.Length - 1; tag >= 0; tag--)
        {
            _free.Push(tag);
        }
        _serial = SerialOf(id);
        CapacitySectors = (ulong)backend.Size / SectorSize;
        ReadOnly = backend.ReadOnly;
        Features = FeatureSegMax | FeatureBlockSize | FeatureFlush | (ReadOnly ? FeatureReadOnly : FeatureDiscard | FeatureWriteZeroes);
        _config = new VirtioBlockConfig
        {
            Capacity = CapacitySectors,
            SegMax = MaxSegments,
            BlockSize = SectorSize,
        };
        if (!ReadOnly)
        {
            _config.MaxDiscardSectors = MaxDiscardSectors;
            _config.MaxDiscardSegments = MaxDiscardSegments;
            _config.DiscardSectorAlignment = DiscardSectorAlignment;
            _config.MaxWriteZeroesSectors = MaxDiscardSectors;
            _config.MaxWriteZeroesSegments = MaxDiscardSegments;
            // A write zeroes with UNMAP asks the backend to deallocate, which a file does by punching a hole.
            _config.WriteZeroesMayUnmap = 1;
        }
    }

    /// <summary>The engine reads and writes go to, or null when they are served in place.</summary>
    public IBlockIoEngine? Engine => _engine;

    /// <summary>Requests handed to the engine and not yet completed.</summary>
    public int RequestsInFlight => Volatile.Read(ref _inFlightCount);

    /// <summary>The disk's size in sectors: the backend's whole sectors.</summary>
    public ulong CapacitySectors { get; }

    /// <summary>True when the disk is read-only (VIRTIO_BLK_F_RO offered).</summary>
    public bool ReadOnly { get; }

    /// <summary>The <see cref="IdLength"/> bytes a GET_ID request returns: the ID's UTF-8, zero-padded.</summary>
    public ReadOnlySpan<byte> Serial => _serial;

    /// <summary>The configuration space the driver reads.</summary>
    public VirtioBlockConfig Config => _config;

    /// <summary>The feature bits the driver accepted, transport bits included; 0 before
    /// negotiation and after a reset.</summary>
    public ulong NegotiatedFeatures => _negotiated;

    /// <summary>True while VIRTIO_BLK_F_FLUSH is not negotiated: the driver cannot ask for
    /// durability, so every request that changes the disk is made durable (the backend's
    /// <see cref="IBlockBackend.Flush"/>) before it completes. §5.2.6.2 case 1: a write is stable
    /// on completion when the device offered FLUSH and neither FLUSH nor CONFIG_WCE was negotiated.</summary>
    public bool WriteThrough => (_negotiated & FeatureFlush) == 0;

    /// <inheritdoc/>
    public ushort DeviceType => BlockDeviceType;

    /// <inheritdoc/>
    public ulong Features { get; }

    /// <inheritdoc/>
    public IReadOnlyList<ushort> QueueMaxSizes { get; } = [QueueSize];

    /// <inheritdoc/>
    public int ConfigSize => VirtioBlockConfig.Size;

    /// <inheritdoc/>
    public void ReadConfig(int offset, Span<byte> data)
    {
        DeviceConfigSpace.Read(_config, offset, data);
    }

    /// <inheritdoc/>
    /// <remarks>Every field is read-only to the driver (writeback would need VIRTIO_BLK_F_CONFIG_WCE, not offered); writes are ignored.</remarks>
    public void WriteConfig(int offset, ReadOnlySpan<byte> data)
    {
    }

    /// <inheritdoc/>
    public void ProcessQueue(int index, SplitVirtqueue queue, GuestMemory memory)
    {
        ArgumentNullException.ThrowIfNull(queue);
        ArgumentNullException.ThrowIfNull(memory);
        CompleteFinished(queue, memory);
        // One chain ahead: a request alone in an idle queue is served in place (one preadv costs
        // less than an io_uring_enter and a completion, and nothing waits behind it); any other
        // goes to the engine, so what the guest queued moves together.
        DescriptorChain? next = queue.Pop();
        while (next is DescriptorChain chain)
        {
            next = queue.Pop();
            if (Serve(chain, memory, alone: next is null && _inFlightCount == 0) is uint used)
            {
                queue.PushUsed(chain.Head, used);
            }
        }
        if (_inFlightCount > 0)
        {
            _engine!.Submit();
            // What the engine finished while it submitted (reads the page cache held) completes now.
            CompleteFinished(queue, memory);
        }
    }

    /// <inheritdoc/>
    public IReadOnlyList<SafeFd> HostEventSources => _engineSources;

    /// <inheritdoc/>
    /// <remarks>Results wait in the engine: the request queue is served, which completes them.</remarks>
    public ulong ServeHostEvent(int index) => 1;

    /// <inheritdoc/>
    public bool WantsHostEvent(int index) => Volatile.Read(ref _inFlightCount) > 0;

    /// <inheritdoc/>
    public bool Busy => Volatile.Read(ref _inFlightCount) > 0;

    /// <summary>Waits out the requests in flight and closes the engine.</summary>
    public void Dispose()
    {
        DrainInFlight();
        _engine?.Dispose();
    }

    /// <inheritdoc/>
    public void FeaturesNegotiated(ulong features) => _negotiated = features;

    /// <inheritdoc/>
    public void Reset()
    {
        // Requests in the engine may still be moving guest memory: the reset waits them out, and
        // then neither writes their status nor uses their chains (the rings are gone).
        DrainInFlight();
        _negotiated = 0;
    }

    private void DrainInFlight()
    {
        Span<IoCompletion> done = stackalloc IoCompletion[32];
        while (_inFlightCount > 0)
        {
            int n = _engine!.Reap(done);
            if (n == 0)
            {
                _engine.WaitForCompletion();
                continue;
            }
            foreach (IoCompletion completion in done[..n])
            {
                Release((int)completion.UserData);
            }
        }
    }

    // Completes the requests whose results the engine has: status byte, counters, used ring.
    private void CompleteFinished(SplitVirtqueue queue, GuestMemory memory)
    {
        if (_inFlightCount == 0)
        {
            return;
        }
        Span<IoCompletion> done = stackalloc IoCompletion[32];
        VirtqueueException? failed = null;
        int n;
        while ((n = _engine!.Reap(done)) > 0)
        {
            for (int i = 0; i < n; i++)
            {
                int tag = (int)done[i].UserData;
                InFlight request = _inFlight[tag];
                byte status = Finish(request, done[i].Result);
                Release(tag);
                try
                {
                    memory.Write(request.Status, status);
                    queue.PushUsed(request.Head, (status == StatusOk && request.Kind == RequestIn ? request.Length : 0) + 1);
                }
                catch (GuestMemoryException e)
                {
                    // The rest of what was reaped still completes; the queue fails after them.
                    failed ??= new VirtqueueException($"block request from head {request.Head}: status byte at {request.Status} is no longer guest RAM", e);
                }
            }
        }
        if (failed is not null)
        {
            throw failed;
        }
    }

    // A result shorter than asked (a signal, a file cut short under the disk) is retried in
    // place, which either moves the rest or fails as the synchronous path would.
    private byte Finish(in InFlight request, int result)
    {
        if (result < 0)
        {
            Interlocked.Increment(ref _errors);
            return StatusIoError;
        }
        if (request.Kind != RequestFlush && (uint)result != request.Length)
        {
            try
            {
                if (request.Kind == RequestOut)
                {
                    _backend.WriteAt(request.Offset, (ReadOnlySpan<IoSegment>)request.Segments);
                }
                else
                {
                    _backend.ReadAt(request.Offset, (ReadOnlySpan<IoSegment>)request.Segments);
                }
            }
            catch (IOException)
            {
                Interlocked.Increment(ref _errors);
                return StatusIoError;
            }
        }
        CountDone(request.Kind, request.Length);
        return StatusOk;
    }

    private void Release(int tag)
    {
        _inFlight[tag] = default;
        _free.Push(tag);
        Volatile.Write(ref _inFlightCount, _inFlightCount - 1);
    }

    // Hands a read, write or flush to the engine; false when it (or the tag table) cannot take it.
    private bool TrySubmit(uint kind, long offset, uint length, ReadOnlySpan<IoSegment> segments, in Request request)
    {
        if (_engine is null || request.Alone || !_free.TryPeek(out int tag))
        {
            return false;
        }
        if (!(kind == RequestFlush ? _engine.TrySubmitFlush((ulong)tag) : _engine.TrySubmit(kind == RequestOut, offset, segments, (ulong)tag)))
        {
            return false;
        }
        _free.Pop();
        // The segments are kept for a retry of a short transfer.
        _inFlight[tag] = new InFlight(request.Head, request.Status, kind, offset, length, segments.ToArray());
        Volatile.Write(ref _inFlightCount, _inFlightCount + 1);
        return true;
    }

    // Serves one request and returns the used length (the data bytes written plus the status
    // byte), or null when the engine took it.
    private uint? Serve(DescriptorChain chain, GuestMemory memory, bool alone)
    {
        if (chain.WritableLength == 0)
        {
            throw new VirtqueueException($"block request from head {chain.Head} has no writable status byte");
        }
        IReadOnlyList<VirtqBuffer> buffers = chain.Buffers;
        int firstWritable = 0;
        while (!buffers[firstWritable].Writable)
        {
            firstWritable++;
        }
        int last = buffers.Count - 1;
        while (buffers[last].Length == 0)
        {
            last--;
        }
        GuestAddress statusAddress = buffers[last].Address.Add(buffers[last].Length - 1);
        var request = new Request(
            chain.ReadableLength,
            chain.WritableLength - 1,
            new ChainCursor(buffers, 0, firstWritable, memory),
            new ChainCursor(buffers, firstWritable, buffers.Count, memory),
            chain.Head,
            statusAddress,
            alone);

        (byte status, ulong written) = Execute(request);
        if (status == StatusPending)
        {
            return null;
        }

        try
        {
            memory.Write(statusAddress, status);
        }
        catch (GuestMemoryException e)
        {
            throw new VirtqueueException($"block request from head {chain.Head}: status byte at {statusAddress} is no longer guest RAM", e);
        }
        return (uint)written + 1;
    }

    /// <summary>Requests served and bytes moved since the device was made: read_ops, read_bytes,
    /// write_ops, write_bytes, flush_ops, discard_ops, write_zeroes_ops (each counted when it
    /// succeeded), and errors (requests answered IOERR or UNSUPP).</summary>
    public IReadOnlyList<KeyValuePair<string, long>> ReadCounters() =>
    [
        new("read_ops", Interlocked.Read(ref _readOps)),
        new("read_bytes", Interlocked.Read(ref _readBytes)),
        new("write_ops", Interlocked.Read(ref _writeOps)),
        new("write_bytes", Interlocked.Read(ref _writeBytes)),
        new("flush_ops", Interlocked.Read(ref _flushOps)),
        new("discard_ops", Interlocked.Read(ref _discardOps)),
        new("write_zeroes_ops", Interlocked.Read(ref _writeZeroesOps)),
        new("errors", Interlocked.Read(ref _errors)),
    ];

    private (byte Status, ulong Written) Execute(in Request request)
    {
        if (request.Readable < VirtioBlockRequestHeader.Size)
        {
            Interlocked.Increment(ref _errors);
            return (StatusIoError, 0UL);
        }
        Span<byte> headerBytes = stackalloc byte[VirtioBlockRequestHeader.Size];
        request.In.Read(headerBytes);
        VirtioBlockRequestHeader header = MemoryMarshal.Read<VirtioBlockRequestHeader>(headerBytes);
        ulong readableData = request.Readable - VirtioBlockRequestHeader.Size;
        (byte status, ulong written) = Execute(header, readableData, in request);
        if (status == StatusPending)
        {
            // Counted when it completes.
            return (status, written);
        }
        if (status != StatusOk)
        {
            Interlocked.Increment(ref _errors);
            return (status, written);
        }
        CountDone(header.Type, header.Type == RequestIn ? written : readableData);
        return (status, written);
    }

    // A request of `type` that succeeded, moving `bytes` of data (reads and writes).
    private void CountDone(uint type, ulong bytes)
    {
        switch (type)
        {
            case RequestIn:
                Interlocked.Increment(ref _readOps);
                Interlocked.Add(ref _readBytes, (long)bytes);
                break;
            case RequestOut:
                Interlocked.Increment(ref _writeOps);
                Interlocked.Add(ref _writeBytes, (long)bytes);
                break;
            case RequestFlush:
                Interlocked.Increment(ref _flushOps);
                break;
            case RequestDiscard:
                Interlocked.Increment(ref _discardOps);
                break;
            case RequestWriteZeroes:
                Interlocked.Increment(ref _writeZeroesOps);
                break;
            default:
                break;
        }
    }

    private (byte Status, ulong Written) Execute(in VirtioBlockRequestHeader header, ulong readableData, in Request request)
    {
        switch (header.Type)
        {
            case RequestIn:
                // A read has no readable data, and its writable data is whole sectors.
                return readableData != 0 || !FitsDisk(header.Sector, request.WritableData)
                    ? (StatusIoError, 0UL)
                    : ReadSectors(header.Sector, in request);
            case RequestOut:
                return ReadOnly || request.WritableData != 0 || !FitsDisk(header.Sector, readableData)
                    ? (StatusIoError, 0UL)
                    : (Stable(WriteSectors(header.Sector, readableData, in request)), 0UL);
            case RequestFlush:
                return readableData != 0 || request.WritableData != 0 ? (StatusIoError, 0UL)
                    : TrySubmit(RequestFlush, 0, 0, [], in request) ? (StatusPending, 0UL) : (Flush(), 0UL);
            case RequestGetId:
                return readableData != 0 ? (StatusIoError, 0UL) : GetId(in request);
            case RequestDiscard when (_negotiated & FeatureDiscard) == 0:
            case RequestWriteZeroes when (_negotiated & FeatureWriteZeroes) == 0:
                // §5.2.6: a command whose feature the driver did not accept is not supported.
                return (StatusUnsupported, 0UL);
            case RequestDiscard:
            case RequestWriteZeroes:
                return ReadOnly || request.WritableData != 0 ? (StatusIoError, 0UL) : (Stable(DiscardOrZero(header.Type == RequestDiscard, readableData, in request)), 0UL);
            default:
                return (StatusUnsupported, 0UL);
        }
    }

    // §5.2.6: data lengths are whole sectors, and a request touches only the disk; the used
    // length (uint) must be able to say how much was read.
    private bool FitsDisk(ulong sector, ulong bytes)
        => bytes % SectorSize == 0 && bytes < uint.MaxValue
            && sector <= CapacitySectors && bytes / SectorSize <= CapacitySectors - sector;

    private (byte Status, ulong Written) ReadSectors(ulong sector, in Request request)
    {
        long offset = (long)(sector * SectorSize);
        // Straight into the request's buffers in guest RAM, in one vectored read; a chain whose
        // buffers are not plain RAM goes through the bounce buffer below.
        Span<IoSegment> segments = stackalloc IoSegment[(int)MaxSegments + 2];
        if (request.Out.TryTakeSegments(request.WritableData, segments, out int count))
        {
            if (TrySubmit(RequestIn, offset, (uint)request.WritableData, segments[..count], in request))
            {
                return (StatusPending, 0UL);
            }
            try
            {
                _backend.ReadAt(offset, segments[..count]);
            }
            catch (IOException)
            {
                // How much arrived is unknown: say none did.
                return (StatusIoError, 0UL);
            }
            return (StatusOk, request.WritableData);
        }
        ulong done = 0;
        while (done < request.WritableData)
        {
            Span<byte> chunk = _chunk.AsSpan(0, (int)Math.Min((ulong)ChunkSize, request.WritableData - done));
            try
            {
                _backend.ReadAt(offset + (long)done, chunk);
            }
            catch (IOException)
            {
                return (StatusIoError, done);
            }
            request.Out.Write(chunk);
            done += (ulong)chunk.Length;
        }
        return (StatusOk, done);
    }

    private byte WriteSectors(ulong sector, ulong length, in Request request)
    {
        long offset = (long)(sector * SectorSize);
        Span<IoSegment> segments = stackalloc IoSegment[(int)MaxSegments + 2];
        if (request.In.TryTakeSegments(length, segments, out int count))
        {
            // A write-through disk completes a write only once it is durable: that stays in place.
            if (!WriteThrough && TrySubmit(RequestOut, offset, (uint)length, segments[..count], in request))
            {
                return StatusPending;
            }
            try
            {
                _backend.WriteAt(offset, segments[..count]);
            }
            catch (IOException)
            {
                return StatusIoError;
            }
            return StatusOk;
        }
        for (ulong done = 0; done < length;)
        {
            Span<byte> chunk = _chunk.AsSpan(0, (int)Math.Min((ulong)ChunkSize, length - done));
            request.In.Read(chunk);
            try
            {
                _backend.WriteAt(offset + (long)done, chunk);
            }
            catch (IOException)
            {
                return StatusIoError;
            }
            done += (ulong)chunk.Length;
        }
        return StatusOk;
    }

    // A request that changed the disk completes only once durable when the disk is write-through
    // (a write the engine took is pending, and never happens on a write-through disk).
    private byte Stable(byte status) => status == StatusOk && WriteThrough ? Flush() : status;

    private byte Flush()
    {
        try
        {
            _backend.Flush();
            return StatusOk;
        }
        catch (IOException)
        {
            return StatusIoError;
        }
    }

    // §5.2.6: the ID is 20 bytes, without a terminating NUL when it fills them; a shorter data
    // area gets what fits.
    private (byte Status, ulong Written) GetId(in Request request)
    {
        int length = (int)Math.Min((ulong)IdLength, request.WritableData);
        request.Out.Write(_serial.AsSpan(0, length));
        return (StatusOk, (ulong)length);
    }

    // §5.2.6.2: UNSUPP for an unknown flag and for UNMAP on a discard; every range is checked
    // before any is applied.
    private byte DiscardOrZero(bool discard, ulong readableData, in Request request)
    {
        if (readableData == 0 || readableData % VirtioBlockDiscardSegment.Size != 0
            || readableData / VirtioBlockDiscardSegment.Size > MaxDiscardSegments)
        {
            return StatusIoError;
        }
        int count = (int)(readableData / VirtioBlockDiscardSegment.Size);
        Span<VirtioBlockDiscardSegment> segments = stackalloc VirtioBlockDiscardSegment[(int)MaxDiscardSegments];
        segments = segments[..count];
        request.In.Read(MemoryMarshal.AsBytes(segments));
        foreach (VirtioBlockDiscardSegment segment in segments)
        {
            if ((segment.Flags & ~VirtioBlockDiscardSegment.FlagUnmap) != 0
                || (discard && (segment.Flags & VirtioBlockDiscardSegment.FlagUnmap) != 0))
            {
                return StatusUnsupported;
            }
            if (segment.SectorCount > MaxDiscardSectors || !FitsDisk(segment.Sector, (ulong)segment.SectorCount * SectorSize))
            {
                return StatusIoError;
            }
        }
        try
        {
            foreach (VirtioBlockDiscardSegment segment in segments)
            {
                if (segment.SectorCount == 0)
                {
                    continue;
                }
                long offset = (long)(segment.Sector * SectorSize);
                long length = (long)segment.SectorCount * SectorSize;
                if (discard)
                {
                    _backend.Discard(offset, length);
                }
                else
                {
                    _backend.WriteZeroes(offset, length, (segment.Flags & VirtioBlockDiscardSegment.FlagUnmap) != 0);
                }
            }
        }
        catch (IOException)
        {
            return StatusIoError;
        }
        return StatusOk;
    }

    private static byte[] SerialOf(string id)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(id);
        int length = Math.Min(utf8.Length, IdLength);
        // Never cut a character in two: step back over continuation bytes (10xxxxxx).
        while (length < utf8.Length && length > 0 && (utf8[length] & 0xc0) == 0x80)
        {
            length--;
        }
        byte[] serial = new byte[IdLength];
        utf8.AsSpan(0, length).CopyTo(serial);
        return serial;
    }

    // One request's two directions: In reads the readable bytes (header first), Out writes the
    // writable bytes before the status byte.
    // Head and Status answer it; Alone: it is the only request in an idle queue (served in place).
    private readonly record struct Request(ulong Readable, ulong WritableData, ChainCursor In, ChainCursor Out, ushort Head, GuestAddress Status, bool Alone);

    // A request in the engine (Kind: RequestIn, RequestOut or RequestFlush): where to answer it
    // and what to retry if it comes back short.
    private readonly record struct InFlight(ushort Head, GuestAddress Status, uint Kind, long Offset, uint Length, IoSegment[] Segments);
}
