namespace Vireo.Virtio.Tests;

public sealed class ByteRingTests
{
    [Fact]
    public void Bytes_come_out_in_order_across_the_wrap_and_growth_and_never_past_the_capacity()
    {
        var ring = new ByteRing(10_000);
        var expected = new Queue<byte>();
        var random = new Random(3);
        byte next = 0;
        for (int round = 0; round < 2000; round++)
        {
            int put = random.Next(0, 3000);
            Span<byte> room = ring.WritableSpan(put);
            Assert.True(room.Length <= Math.Min(put, ring.Free));
            for (int i = 0; i < room.Length; i++)
            {
                room[i] = next;
                expected.Enqueue(next++);
            }
            ring.Commit(room.Length);
            Assert.InRange(ring.Count, 0, ring.Capacity);

            int take = random.Next(0, ring.Count + 1);
            byte[] peeked = new byte[take];
            ring.Peek(peeked);
            Assert.Equal(expected.Take(take), peeked);
            ReadOnlySpan<byte> head = ring.ReadableSpan();
            Assert.Equal(expected.Take(head.Length), head.ToArray());
            ring.Consume(take);
            for (int i = 0; i < take; i++)
            {
                expected.Dequeue();
            }
            Assert.Equal(expected.Count, ring.Count);
        }

        ring.Write(new byte[ring.Free]);
        Assert.Equal(0, ring.Free);
        Assert.True(ring.WritableSpan(1).IsEmpty);
        ring.Clear();
        Assert.Equal(0, ring.Count);
        Assert.Equal(ring.Capacity, ring.Free);
    }
}
