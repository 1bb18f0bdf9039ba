using Vireo.Memory;

namespace Vireo.Virtio.Tests;

public sealed class SplitVirtqueueUnpopTests
{
    [Fact]
    public void Unpopped_chains_come_back_in_order()
    {
        using GuestMemory memory = DriverRing.NewMemory();
        var ring = new DriverRing(memory, 8);
        for (ushort i = 0; i < 3; i++)
        {
            ring.Descriptor(i, 0x40000 + (i * 0x1000UL), 64, VirtqDescriptor.FlagWrite);
            ring.Offer(i);
        }
        SplitVirtqueue queue = ring.DeviceQueue();
        Assert.Equal(0, queue.Pop()!.Head);
        queue.PushUsed(0, 0);
        Assert.Equal(1, queue.Pop()!.Head);
        Assert.Equal(2, queue.Pop()!.Head);

        Assert.False(queue.Unpop(2));

        Assert.Equal(1, queue.NextAvail);
        Assert.Equal(1, queue.Pop()!.Head);
        Assert.Equal(2, queue.Pop()!.Head);
        Assert.Null(queue.Pop());
    }

    [Fact]
    public void Only_chains_in_flight_can_be_given_back()
    {
        using GuestMemory memory = DriverRing.NewMemory();
        var ring = new DriverRing(memory, 8);
        ring.Descriptor(0, 0x40000, 64, VirtqDescriptor.FlagWrite);
        ring.Offer(0);
        SplitVirtqueue queue = ring.DeviceQueue();
        queue.Pop();
        queue.PushUsed(0, 64);

        Assert.Throws<ArgumentOutOfRangeException>(() => queue.Unpop(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => queue.Unpop(-1));
        Assert.False(queue.Unpop(0));
    }

    [Fact]
    public void With_event_idx_avail_event_asks_for_the_next_buffer_and_a_buffer_added_meanwhile_is_reported()
    {
        using GuestMemory memory = DriverRing.NewMemory();
        var ring = new DriverRing(memory, 8);
        ring.Descriptor(0, 0x40000, 64, VirtqDescriptor.FlagWrite);
        ring.Descriptor(1, 0x41000, 64, VirtqDescriptor.FlagWrite);
        ring.Offer(0);
        SplitVirtqueue queue = ring.DeviceQueue(eventIdx: true);
        queue.Pop();
        Assert.Null(queue.Pop());

        Assert.False(queue.Unpop(1));
        // The driver's idx is 1: it notifies once it moves past it.
        Assert.Equal(1, ring.AvailEvent);

        queue.Pop();
        Assert.Null(queue.Pop());
        ring.Offer(1); // added after the device last looked, without a notify
        Assert.True(queue.Unpop(1));
    }
}
