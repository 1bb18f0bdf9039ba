using Vireo.Memory;

namespace Vireo.Virtio.Tests;

public sealed class SplitVirtqueueTests
{
    private const ushort Next = VirtqDescriptor.FlagNext;
    private const ushort Write = VirtqDescriptor.FlagWrite;
    private const ushort Indirect = VirtqDescriptor.FlagIndirect;

    [Fact]
    public void Empty_ring_pops_nothing()
    {
        using GuestMemory memory = DriverRing.NewMemory();
        var ring = new DriverRing(memory, 8);

        Assert.Null(ring.DeviceQueue().Pop());
    }

    [Fact]
    public void Pops_a_chain_readable_then_writable_in_order()
    {
        using GuestMemory memory = DriverRing.NewMemory();
        var ring = new DriverRing(memory, 8);
        ring.Descriptor(3, 0x40000, 16, Next, 5);
        ring.Descriptor(5, 0x41000, 32, Next | Write, 1);
        ring.Descriptor(1, 0x42000, 64, Write);
        ring.Offer(3);
        SplitVirtqueue queue = ring.DeviceQueue();

        DescriptorChain chain = Assert.IsType<DescriptorChain>(queue.Pop());

        Assert.Equal(3, chain.Head);
        Assert.Equal(
            [new VirtqBuffer(new GuestAddress(0x40000), 16, false), new VirtqBuffer(new GuestAddress(0x41000), 32, true), new VirtqBuffer(new GuestAddress(0x42000), 64, true)],
            chain.Buffers);
        Assert.Equal(16UL, chain.ReadableLength);
        Assert.Equal(96UL, chain.WritableLength);
        Assert.Null(queue.Pop());
        Assert.Equal(1, queue.NextAvail);
    }

    [Fact]
    public void Pops_an_indirect_table()
    {
        using GuestMemory memory = DriverRing.NewMemory();
        var ring = new DriverRing(memory, 4);
        const ulong table = 0x50000;
        ring.Descriptor(0, 0x40000, 8, Next, 2, table);
        ring.Descriptor(2, 0x41000, 100, Write, 0, table);
        ring.Descriptor(1, table, 3 * 16, Indirect);
        ring.Offer(1);

        DescriptorChain chain = Assert.IsType<DescriptorChain>(ring.DeviceQueue().Pop());

        Assert.Equal(1, chain.Head);
        Assert.Equal([new VirtqBuffer(new GuestAddress(0x40000), 8, false), new VirtqBuffer(new GuestAddress(0x41000), 100, true)], chain.Buffers);
    }

    [Fact]
    public void Push_used_writes_the_element_then_the_index_and_wraps()
    {
        using GuestMemory memory = DriverRing.NewMemory();
        var ring = new DriverRing(memory, 2);
        SplitVirtqueue queue = ring.DeviceQueue();

        queue.PushUsed(1, 77);
        queue.PushUsed(0, 5);
        queue.PushUsed(1, 9);

        Assert.Equal(3, ring.UsedIdx);
        Assert.Equal(new VirtqUsedElement { Id = 1, Length = 9 }, ring.Used(2));
        Assert.Equal(new VirtqUsedElement { Id = 0, Length = 5 }, ring.Used(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => queue.PushUsed(2, 0));
    }

    [Fact]
    public void Indices_wrap_at_65536()
    {
        using GuestMemory memory = DriverRing.NewMemory();
        var ring = new DriverRing(memory, 4);
        SplitVirtqueue queue = ring.DeviceQueue();
        ring.Descriptor(0, 0x40000, 1, Write);
        for (int i = 0; i < 70000; i++)
        {
            ring.Offer(0);
            DescriptorChain chain = Assert.IsType<DescriptorChain>(queue.Pop());
            queue.PushUsed(chain.Head, 1);
        }

        Assert.Equal((ushort)(70000 % 65536), queue.NextAvail);
        Assert.Equal((ushort)(70000 % 65536), ring.UsedIdx);
    }

    [Fact]
    public void Without_event_idx_no_interrupt_flag_suppresses()
    {
        using GuestMemory memory = DriverRing.NewMemory();
        var ring = new DriverRing(memory, 4);
        SplitVirtqueue queue = ring.DeviceQueue();

        Assert.False(queue.ShouldInterrupt());
        queue.PushUsed(0, 0);
        Assert.True(queue.ShouldInterrupt());
        Assert.False(queue.ShouldInterrupt());
        ring.SetAvailFlags(SplitVirtqueue.AvailNoInterrupt);
        queue.PushUsed(0, 0);
        Assert.False(queue.ShouldInterrupt());
    }

    [Theory]
    [InlineData(0, 1, true)] // used_event 0: the first push crosses it
    [InlineData(1, 1, false)] // driver wants one after entry 1, not yet
    [InlineData(1, 2, true)]
    [InlineData(5, 3, false)]
    [InlineData(2, 3, true)] // a batch of three crosses used_event 2
    public void Event_idx_interrupts_when_used_idx_crosses_used_event(ushort usedEvent, int pushes, bool expected)
    {
        using GuestMemory memory = DriverRing.NewMemory();
        var ring = new DriverRing(memory, 8);
        SplitVirtqueue queue = ring.DeviceQueue(eventIdx: true);
        ring.SetUsedEvent(usedEvent);
        ring.SetAvailFlags(SplitVirtqueue.AvailNoInterrupt); // ignored with EVENT_IDX

        for (int i = 0; i < pushes; i++)
        {
            queue.PushUsed(0, 0);
        }

        Assert.Equal(expected, queue.ShouldInterrupt());
    }

    [Fact]
    public void Event_idx_asks_for_a_notification_only_once_the_ring_is_drained()
    {
        using GuestMemory memory = DriverRing.NewMemory();
        var ring = new DriverRing(memory, 8);
        SplitVirtqueue queue = ring.DeviceQueue(eventIdx: true);
        ring.Descriptor(0, 0x40000, 1, Write);
        ring.Offer(0);
        ring.Offer(0);

        queue.Pop();
        // Busy with a ring that has entries: avail_event stays behind, so a driver adding a chain
        // now (idx 2 -> 3) does not notify (§2.7.10: only when avail_event is in [old, new)).
        Assert.Equal(0, ring.AvailEvent);
        Assert.False(NeedsNotify(ring.AvailEvent, 3, 2));
        queue.Pop();
        Assert.Null(queue.Pop());
        // Drained: the next chain the driver adds notifies.
        Assert.Equal(2, ring.AvailEvent);
        Assert.True(NeedsNotify(ring.AvailEvent, 3, 2));
    }

    // The driver's side of §2.7.10 (Linux's vring_need_event).
    private static bool NeedsNotify(ushort availEvent, ushort newIdx, ushort oldIdx) =>
        (ushort)(newIdx - availEvent - 1) < (ushort)(newIdx - oldIdx);

    [Theory]
    [InlineData(0, "power of two")]
    [InlineData(3, "power of two")]
    public void Enable_refuses_bad_sizes(ushort size, string reason)
    {
        using GuestMemory memory = DriverRing.NewMemory();

        VirtqueueException e = Assert.Throws<VirtqueueException>(() => new DriverRing(memory, size).DeviceQueue());
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0x10008UL, 0x20000UL, 0x30000UL, "aligned")]
    [InlineData(0x10000UL, 0x20001UL, 0x30000UL, "aligned")]
    [InlineData(0x10000UL, 0x20000UL, 0x30002UL, "aligned")]
    [InlineData(0xffff0UL, 0x20000UL, 0x30000UL, "outside")] // the table runs past RAM's end
    [InlineData(0xfffffffffffffff0UL, 0x20000UL, 0x30000UL, "outside")] // and past 2^64
    [InlineData(0x10000UL, 0x20000UL, 0x200000UL, "outside")]
    public void Enable_refuses_misplaced_areas(ulong desc, ulong avail, ulong used, string reason)
    {
        using GuestMemory memory = DriverRing.NewMemory();

        VirtqueueException e = Assert.Throws<VirtqueueException>(
            () => new SplitVirtqueue(memory, 256, new GuestAddress(desc), new GuestAddress(avail), new GuestAddress(used), false, false));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, Action<DriverRing>, string> HostileRings() => new()
    {
        { "loop", r => { r.Descriptor(0, 0x40000, 1, Next, 1); r.Descriptor(1, 0x40000, 1, Next, 0); r.Offer(0); }, "longer than" },
        { "self loop", r => { r.Descriptor(2, 0x40000, 1, Next, 2); r.Offer(2); }, "longer than" },
        { "head out of range", r => r.Offer(8), "outside the queue" },
        { "next out of range", r => { r.Descriptor(0, 0x40000, 1, Next, 8); r.Offer(0); }, "outside its table" },
        { "avail idx jumps", r => r.SetAvailIdx(9), "more than the queue size" },
        { "avail idx behind", r => r.SetAvailIdx(0xffff), "more than the queue size" },
        { "buffer outside RAM", r => { r.Descriptor(0, 0x100000, 1); r.Offer(0); }, "outside guest RAM" },
        { "buffer crosses RAM end", r => { r.Descriptor(0, 0xfff00, 0x200); r.Offer(0); }, "outside guest RAM" },
        { "buffer wraps u64", r => { r.Descriptor(0, ulong.MaxValue - 4, 16); r.Offer(0); }, "outside guest RAM" },
        { "readable after writable", r => { r.Descriptor(0, 0x40000, 1, Next | Write, 1); r.Descriptor(1, 0x40000, 1); r.Offer(0); }, "readable buffer after a writable" },
        { "indirect in indirect", r => { r.Descriptor(0, 0x50000, 16, Indirect, 0, 0x50000); r.Descriptor(0, 0x50000, 16, Indirect); r.Offer(0); }, "inside an indirect table" },
        { "zero-length indirect", r => { r.Descriptor(0, 0x50000, 0, Indirect); r.Offer(0); }, "not a whole non-zero" },
        { "ragged indirect", r => { r.Descriptor(0, 0x50000, 17, Indirect); r.Offer(0); }, "not a whole non-zero" },
        { "huge indirect", r => { r.Descriptor(0, 0x50000, 0xfffffff0, Indirect); r.Offer(0); }, "more than" },
        { "indirect outside RAM", r => { r.Descriptor(0, 0xffff0, 32, Indirect); r.Offer(0); }, "outside guest RAM" },
        { "indirect wraps u64", r => { r.Descriptor(0, ulong.MaxValue - 15, 32, Indirect); r.Offer(0); }, "outside guest RAM" },
        { "indirect with next", r => { r.Descriptor(0, 0x50000, 16, Indirect | Next, 1); r.Offer(0); }, "both INDIRECT and NEXT" },
        { "indirect loop", r => { r.Descriptor(0, 0x40000, 1, Next, 1, 0x50000); r.Descriptor(1, 0x40000, 1, Next, 0, 0x50000); r.Descriptor(0, 0x50000, 32, Indirect); r.Offer(0); }, "longer than its indirect table" },
        { "indirect next out of table", r => { r.Descriptor(0, 0x40000, 1, Next, 2, 0x50000); r.Descriptor(0, 0x50000, 32, Indirect); r.Offer(0); }, "outside its table of 2" },
    };

    [Theory]
    [MemberData(nameof(HostileRings))]
    public void Hostile_ring_is_a_typed_error(string name, Action<DriverRing> build, string reason)
    {
        using GuestMemory memory = DriverRing.NewMemory();
        var ring = new DriverRing(memory, 8);
        build(ring);

        VirtqueueException e = Assert.Throws<VirtqueueException>(() => ring.DeviceQueue().Pop());
        Assert.True(e.Message.Contains(reason, StringComparison.Ordinal), $"{name}: {e.Message}");
    }

    [Fact]
    public void Indirect_without_the_feature_is_a_typed_error()
    {
        using GuestMemory memory = DriverRing.NewMemory();
        var ring = new DriverRing(memory, 8);
        ring.Descriptor(0, 0x50000, 16, Indirect);
        ring.Offer(0);

        Assert.Throws<VirtqueueException>(() => ring.DeviceQueue(indirect: false).Pop());
    }

    [Fact]
    public void Random_rings_end_in_chains_or_typed_errors_with_bounded_work()
    {
        var random = new Random(1234);
        using GuestMemory memory = DriverRing.NewMemory();
        byte[] noise = new byte[0x30000];
        for (int iteration = 0; iteration < 2000; iteration++)
        {
            ushort size = (ushort)(1 << random.Next(0, 9));
            // Descriptor table, avail and used rings, and an area indirect tables may point to,
            // all random; addresses are biased towards RAM so chains get walked, not just refused.
            random.NextBytes(noise);
            memory.Write(new GuestAddress(DriverRing.DescAddress), noise);
            for (int d = 0; d < size; d++)
            {
                ulong address = random.Next(4) switch
                {
                    0 => (ulong)random.NextInt64(),
                    1 => DriverRing.DescAddress + ((ulong)random.Next(size) * 16),
                    _ => (ulong)random.Next(0x100000),
                };
                var descriptor = new VirtqDescriptor
                {
                    Address = address,
                    Length = random.Next(3) == 0 ? (uint)random.Next() : (uint)random.Next(0, 4) * 16,
                    Flags = (ushort)random.Next(8),
                    Next = (ushort)random.Next(size + 2),
                };
                memory.Write(new GuestAddress(DriverRing.DescAddress + ((ulong)d * 16)), descriptor);
            }
            SplitVirtqueue queue = new DriverRing(memory, size).DeviceQueue(eventIdx: random.Next(2) == 0);
            int pops = 0;
            try
            {
                while (queue.Pop() is DescriptorChain chain)
                {
                    Assert.True(chain.Buffers.Count <= size + SplitVirtqueue.MaxIndirectDescriptors);
                    queue.PushUsed(chain.Head, 0);
                    Assert.True(++pops <= size, "popped more chains than the queue holds");
                }
            }
            catch (VirtqueueException)
            {
            }
            queue.ShouldInterrupt();
        }
    }
}
