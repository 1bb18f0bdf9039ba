using Vireo.Memory;

namespace Vireo.Virtio;

/// <summary>
/// The device side of a split virtqueue (virtio 1.2 §2.7) in guest memory: pops descriptor
/// chains from the available ring and pushes used elements. Every number the guest wrote is
/// checked before use, and every walk is bounded by the queue or indirect table size, so a hostile
/// ring ends in a <see cref="VirtqueueException"/>, never a crash, hang or unbounded allocation.
/// </summary>
/// <remarks>Not thread-safe: the transport serializes a queue's users.</remarks>
public sealed class SplitVirtqueue
{
    /// <summary>The largest split queue (§2.7: Queue Size is at most 32768).</summary>
    public const ushort MaxSize = 32768;

    /// <summary>The most descriptors an indirect table may hold here: a chain is never longer
    /// than a queue (§2.7.5.3.1), so a larger table is refused before it is walked.</summary>
    public const int MaxIndirectDescriptors = MaxSize;

    // §2.7.6 virtq_avail {flags, idx, ring[size], used_event}; §2.7.8 virtq_used {flags, idx, ring[size], avail_event}.
    private const ulong RingHeader = 4;
    /// <summary>VIRTQ_AVAIL_F_NO_INTERRUPT (§2.7.6): the driver asks for no interrupts (without EVENT_IDX).</summary>
    public const ushort AvailNoInterrupt = 1;

    private readonly GuestMemory _memory;
    private readonly bool _eventIdx;
    private readonly bool _indirect;
    private ushort _nextAvail;
    private ushort _nextUsed;
    private ushort _signalledUsed;
    private ushort _lastAvailIdx;

    /// <summary>A queue the driver has enabled with these parameters; the areas are checked here.</summary>
    /// <param name="memory">The guest's RAM.</param>
    /// <param name="size">Queue Size: a power of two, 1 to <see cref="MaxSize"/>.</param>
    /// <param name="descriptorTable">The descriptor area, 16-byte aligned (§2.7, alignment table).</param>
    /// <param name="availRing">The driver area, 2-byte aligned.</param>
    /// <param name="usedRing">The device area, 4-byte aligned.</param>
    /// <param name="eventIdx">VIRTIO_F_EVENT_IDX was negotiated.</param>
    /// <param name="indirect">VIRTIO_F_INDIRECT_DESC was negotiated.</param>
    /// <exception cref="VirtqueueException">A size or area the guest gave is invalid.</exception>
    public SplitVirtqueue(GuestMemory memory, ushort size, GuestAddress descriptorTable, GuestAddress availRing, GuestAddress usedRing, bool eventIdx, bool indirect)
    {
        ArgumentNullException.ThrowIfNull(memory);
        if (size == 0 || size > MaxSize || !ushort.IsPow2(size))
        {
            throw new VirtqueueException($"queue size {size} is not a power of two in 1-{MaxSize}");
        }
        CheckArea("descriptor table", descriptorTable, 16, (ulong)size * VirtqDescriptor.Size, memory);
        CheckArea("available ring", availRing, 2, RingHeader + (2UL * size) + 2, memory);
        CheckArea("used ring", usedRing, 4, RingHeader + ((ulong)VirtqUsedElement.Size * size) + 2, memory);
        _memory = memory;
        Size = size;
        DescriptorTable = descriptorTable;
        AvailRing = availRing;
        UsedRing = usedRing;
        _eventIdx = eventIdx;
        _indirect = indirect;
    }

    /// <summary>Queue Size.</summary>
    public ushort Size { get; }

    /// <summary>The descriptor area.</summary>
    public GuestAddress DescriptorTable { get; }

    /// <summary>The driver area (available ring).</summary>
    public GuestAddress AvailRing { get; }

    /// <summary>The device area (used ring).</summary>
    public GuestAddress UsedRing { get; }

    /// <summary>The free-running index of the next available entry to pop.</summary>
    public ushort NextAvail => _nextAvail;

    /// <summary>The free-running index of the next used entry to push.</summary>
    public ushort NextUsed => _nextUsed;

    /// <summary>The used index when <see cref="ShouldInterrupt"/> last decided.</summary>
    public ushort SignalledUsed => _signalledUsed;

    /// <summary>Continues a queue another device left (a snapshot's): its positions, as
    /// <see cref="NextAvail"/>, <see cref="NextUsed"/> and <see cref="SignalledUsed"/> read them there,
    /// before anything is popped here. A device holds no chain across a snapshot (it completes
    /// every one first), so at most a queue's size lies between the two indices.</summary>
    /// <exception cref="VirtqueueException">More chains than the queue holds would be in flight.</exception>
    public void Resume(ushort nextAvail, ushort nextUsed, ushort signalledUsed)
    {
        if ((ushort)(nextAvail - nextUsed) > Size)
        {
            throw new VirtqueueException($"next available {nextAvail} is {(ushort)(nextAvail - nextUsed)} entries past next used {nextUsed}, more than the queue size {Size}");
        }
        _nextAvail = nextAvail;
        _lastAvailIdx = nextAvail;
        _nextUsed = nextUsed;
        _signalledUsed = signalledUsed;
    }

    /// <summary>Pops the next available chain, or returns null when the ring is empty. With
    /// EVENT_IDX, avail_event moves only when the ring is found empty: it is then set to the next
    /// index, so the driver notifies for the next chain (§2.7.10), and the ring is looked at once
    /// more after that store is visible, so a chain the driver added meanwhile (without notifying,
    /// as avail_event was behind) is not missed. While the device works through a ring with
    /// entries, avail_event stays behind and the driver does not notify for each chain it adds:
    /// one notification per batch rather than one exit per packet.</summary>
    /// <exception cref="VirtqueueException">The ring or the chain breaks §2.7.</exception>
    public DescriptorChain? Pop()
    {
        ushort pending = Pending();
        if (pending == 0)
        {
            if (!_eventIdx)
            {
                return null;
            }
            PublishAvailEvent();
            // Our avail_event must be visible before we look again for the driver's new entries.
            Interlocked.MemoryBarrier();
            pending = Pending();
            if (pending == 0)
            {
                return null;
            }
        }
        ushort head = ReadU16(AvailRing.Value + RingHeader + (2UL * (ulong)(_nextAvail % Size)));
        if (head >= Size)
        {
            throw new VirtqueueException($"available ring entry {_nextAvail} names descriptor {head}, outside the queue of {Size}");
        }
        DescriptorChain chain = Walk(head);
        _nextAvail++;
        return chain;
    }

    // The entries the driver has made available past the next to pop, after reading its idx.
    private ushort Pending()
    {
        ushort availIdx = ReadU16(AvailRing.Value + 2);
        _lastAvailIdx = availIdx;
        // Entries are read only after idx (§2.7.13.3.1 orders the driver's writes the same way).
        Interlocked.MemoryBarrier();
        ushort pending = (ushort)(availIdx - _nextAvail);
        if (pending > Size)
        {
            throw new VirtqueueException($"available idx {availIdx} is {pending} entries ahead of {_nextAvail}, more than the queue size {Size}");
        }
        return pending;
    }

    /// <summary>Gives back the last <paramref name="count"/> chains popped and not yet pushed used,
    /// in the order they were popped: the next <see cref="Pop"/> returns them again (walked and
    /// checked again). A device that took buffers and found them too few for its data (a receive
    /// that needs more buffers than the driver has posted) leaves them to the driver this way. With
    /// EVENT_IDX, avail_event is set to the available idx last seen, so the driver notifies as soon
    /// as it makes another buffer available (§2.7.10).</summary>
    /// <param name="count">How many, at most the chains popped and not pushed used.</param>
    /// <returns>True when the driver has made more chains available since the last <see cref="Pop"/>
    /// looked (it may then have skipped its notification): the caller should try again.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative or more
    /// than the chains in flight.</exception>
    /// <exception cref="VirtqueueException">The rings are no longer guest RAM.</exception>
    public bool Unpop(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, (ushort)(_nextAvail - _nextUsed));
        _nextAvail = (ushort)(_nextAvail - count);
        ushort seen = _lastAvailIdx;
        if (_eventIdx)
        {
            WriteU16(UsedRing.Value + RingHeader + ((ulong)VirtqUsedElement.Size * Size), seen);
        }
        // Our avail_event must be visible before we look again for the driver's new entries.
        Interlocked.MemoryBarrier();
        return ReadU16(AvailRing.Value + 2) != seen;
    }

    /// <summary>Hands chain <paramref name="head"/> back with <paramref name="writtenLength"/>
    /// bytes written, and publishes the new used idx after the element (§2.7.8).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="head"/> is outside the queue.</exception>
    /// <exception cref="VirtqueueException">The used ring is no longer guest RAM.</exception>
    public void PushUsed(ushort head, uint writtenLength)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(head, Size);
        ulong slot = UsedRing.Value + RingHeader + ((ulong)VirtqUsedElement.Size * (ulong)(_nextUsed % Size));
        Write("used ring", slot, new VirtqUsedElement { Id = head, Length = writtenLength });
        // The element must be visible before the idx that publishes it.
        Interlocked.MemoryBarrier();
        _nextUsed++;
        WriteU16(UsedRing.Value + 2, _nextUsed);
    }

    /// <summary>Decides whether the used entries pushed since the last call deserve an
    /// interrupt: with EVENT_IDX when the used idx crossed used_event (§2.7.10), otherwise
    /// unless the driver set <see cref="AvailNoInterrupt"/> (§2.7.7). Nothing pushed: false.</summary>
    /// <exception cref="VirtqueueException">The available ring is no longer guest RAM.</exception>
    public bool ShouldInterrupt()
    {
        // Our used idx store must be visible before we read the driver's suppression fields.
        Interlocked.MemoryBarrier();
        ushort old = _signalledUsed;
        ushort now = _nextUsed;
        _signalledUsed = now;
        if (old == now)
        {
            return false;
        }
        if (_eventIdx)
        {
            ushort usedEvent = ReadU16(AvailRing.Value + RingHeader + (2UL * Size));
            return (ushort)(now - usedEvent - 1) < (ushort)(now - old);
        }
        return (ReadU16(AvailRing.Value) & AvailNoInterrupt) == 0;
    }

    private DescriptorChain Walk(ushort head)
    {
        var buffers = new List<VirtqBuffer>();
        ulong table = DescriptorTable.Value;
        uint tableCount = Size;
        uint visited = 0;
        bool inIndirect = false;
        bool sawWritable = false;
        uint index = head;
        while (true)
        {
            if (++visited > tableCount)
            {
                throw new VirtqueueException($"chain from head {head} is longer than its {(inIndirect ? "indirect table" : "queue")} of {tableCount} (a loop?)");
            }
            VirtqDescriptor descriptor = ReadDescriptor(table + (index * (ulong)VirtqDescriptor.Size));
            if ((descriptor.Flags & VirtqDescriptor.FlagIndirect) != 0)
            {
                (table, tableCount) = EnterIndirect(head, descriptor, inIndirect);
                inIndirect = true;
                visited = 0;
                index = 0;
                continue;
            }
            bool writable = (descriptor.Flags & VirtqDescriptor.FlagWrite) != 0;
            if (!writable && sawWritable)
            {
                throw new VirtqueueException($"chain from head {head} has a readable buffer after a writable one");
            }
            sawWritable |= writable;
            var address = new GuestAddress(descriptor.Address);
            if (descriptor.Length != 0 && !_memory.IsRange(address, descriptor.Length))
            {
                throw new VirtqueueException($"chain from head {head} has a buffer at {address} (+0x{descriptor.Length:x}) outside guest RAM");
            }
            buffers.Add(new VirtqBuffer(address, descriptor.Length, writable));
            if ((descriptor.Flags & VirtqDescriptor.FlagNext) == 0)
            {
                return new DescriptorChain(head, buffers);
            }
            index = descriptor.Next;
            if (index >= tableCount)
            {
                throw new VirtqueueException($"chain from head {head} links to descriptor {index}, outside its table of {tableCount}");
            }
        }
    }

    // §2.7.5.3.1: INDIRECT only if negotiated, never with NEXT, never inside an indirect table;
    // the table is whole descriptors inside guest RAM.
    private (ulong Table, uint Count) EnterIndirect(ushort head, VirtqDescriptor descriptor, bool inIndirect)
    {
        if (!_indirect)
        {
            throw new VirtqueueException($"chain from head {head} uses an indirect table, but VIRTIO_F_INDIRECT_DESC was not negotiated");
        }
        if (inIndirect)
        {
            throw new VirtqueueException($"chain from head {head} has an indirect descriptor inside an indirect table");
        }
        if ((descriptor.Flags & VirtqDescriptor.FlagNext) != 0)
        {
            throw new VirtqueueException($"chain from head {head} has a descriptor with both INDIRECT and NEXT");
        }
        if (descriptor.Length == 0 || descriptor.Length % VirtqDescriptor.Size != 0)
        {
            throw new VirtqueueException($"chain from head {head} has an indirect table of {descriptor.Length} bytes, not a whole non-zero number of descriptors");
        }
        uint count = descriptor.Length / VirtqDescriptor.Size;
        if (count > MaxIndirectDescriptors)
        {
            throw new VirtqueueException($"chain from head {head} has an indirect table of {count} descriptors, more than {MaxIndirectDescriptors}");
        }
        if (!_memory.IsRange(new GuestAddress(descriptor.Address), descriptor.Length))
        {
            throw new VirtqueueException($"chain from head {head} has an indirect table at 0x{descriptor.Address:x} (+0x{descriptor.Length:x}) outside guest RAM");
        }
        return (descriptor.Address, count);
    }

    private void PublishAvailEvent()
    {
        if (_eventIdx)
        {
            WriteU16(UsedRing.Value + RingHeader + ((ulong)VirtqUsedElement.Size * Size), _nextAvail);
        }
    }

    private static void CheckArea(string name, GuestAddress address, ulong alignment, ulong length, GuestMemory memory)
    {
        if (address.Value % alignment != 0)
        {
            throw new VirtqueueException($"{name} at {address} is not {alignment}-byte aligned");
        }
        if (!memory.IsRange(address, length))
        {
            throw new VirtqueueException($"{name} at {address} (+0x{length:x}) is outside guest RAM");
        }
    }

    private VirtqDescriptor ReadDescriptor(ulong address) => Read<VirtqDescriptor>("descriptor", address);

    private ushort ReadU16(ulong address) => Read<ushort>("ring", address);

    private void WriteU16(ulong address, ushort value) => Write("ring", address, value);

    // The areas were checked at enable; RAM that changed since (unplug) still ends as a typed
    // error. No closure: these run for every descriptor and ring index.
    private T Read<T>(string what, ulong address)
        where T : unmanaged
    {
        try
        {
            return _memory.Read<T>(new GuestAddress(address));
        }
        catch (GuestMemoryException e)
        {
            throw new VirtqueueException($"{what} access failed: {e.Message}", e);
        }
    }

    private void Write<T>(string what, ulong address, T value)
        where T : unmanaged
    {
        try
        {
            _memory.Write(new GuestAddress(address), value);
        }
        catch (GuestMemoryException e)
        {
            throw new VirtqueueException($"{what} access failed: {e.Message}", e);
        }
    }
}
