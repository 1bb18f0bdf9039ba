namespace Vireo.Virtio.Tests;

/// <summary>What the block device serves follows the features the driver accepted through the
/// transport: discard and write zeroes only when negotiated, write-through without FLUSH.</summary>
public sealed class VirtioBlockFeatureTests
{
    private const int Sector = VirtioBlock.SectorSize;

    [Theory]
    [InlineData(VirtioBlock.RequestDiscard, VirtioBlock.FeatureDiscard)]
    [InlineData(VirtioBlock.RequestWriteZeroes, VirtioBlock.FeatureWriteZeroes)]
    public void Discard_and_write_zeroes_are_unsupported_unless_negotiated(uint type, ulong feature)
    {
        var disk = new MemoryBlockBackend(64 * Sector);
        disk.Data.AsSpan().Fill(0x5a);
        using var rig = new BlockRig(disk, accept: ~feature);
        Assert.Equal(rig.OfferedFeatures & ~feature, rig.Device.NegotiatedFeatures);
        rig.WriteHeader(type, 0);
        rig.WriteSegment(BlockRig.Data, 8, 16, 0);

        Assert.Equal((VirtioBlock.StatusUnsupported, 1U), Request(rig));
        Assert.Empty(disk.Calls);
        Assert.All(disk.Data, b => Assert.Equal(0x5a, b));

        // The same request once the driver resets and accepts the feature.
        rig.Negotiate(rig.OfferedFeatures);
        Assert.Equal((VirtioBlock.StatusOk, 1U), Request(rig));
        Assert.Equal([type == VirtioBlock.RequestDiscard ? $"discard {8 * Sector} {16 * Sector}" : $"zeroes {8 * Sector} {16 * Sector} keep"], disk.Calls);
    }

    [Fact]
    public void Without_flush_negotiated_every_write_is_flushed_before_it_completes()
    {
        var disk = new MemoryBlockBackend(64 * Sector);
        using var rig = new BlockRig(disk, accept: ~VirtioBlock.FeatureFlush);
        Assert.True(rig.Device.WriteThrough);

        rig.WriteHeader(VirtioBlock.RequestOut, 2);
        Assert.Equal((VirtioBlock.StatusOk, 1U), rig.Submit(BlockRig.Out(BlockRig.Header, 16), BlockRig.Out(BlockRig.Data, 2 * Sector), BlockRig.In(BlockRig.Status, 1)));
        rig.WriteHeader(VirtioBlock.RequestWriteZeroes, 0);
        rig.WriteSegment(BlockRig.Data, 4, 1, 0);
        Assert.Equal((VirtioBlock.StatusOk, 1U), Request(rig));
        rig.WriteHeader(VirtioBlock.RequestDiscard, 0);
        Assert.Equal((VirtioBlock.StatusOk, 1U), Request(rig));
        rig.WriteHeader(VirtioBlock.RequestIn, 0);
        Assert.Equal((VirtioBlock.StatusOk, Sector + 1U), rig.Submit(BlockRig.Out(BlockRig.Header, 16), BlockRig.In(BlockRig.Data, Sector), BlockRig.In(BlockRig.Status, 1)));

        Assert.Equal(
            [$"write {2 * Sector} {2 * Sector}", "flush", $"zeroes {4 * Sector} {Sector} keep", "flush", $"discard {4 * Sector} {Sector}", "flush", $"read 0 {Sector}"],
            disk.Calls);
    }

    [Fact]
    public void With_flush_negotiated_writes_wait_for_the_drivers_flush()
    {
        var disk = new MemoryBlockBackend(64 * Sector);
        using var rig = new BlockRig(disk);
        Assert.False(rig.Device.WriteThrough);

        rig.WriteHeader(VirtioBlock.RequestOut, 2);
        Assert.Equal(VirtioBlock.StatusOk, rig.Submit(BlockRig.Out(BlockRig.Header, 16), BlockRig.Out(BlockRig.Data, Sector), BlockRig.In(BlockRig.Status, 1)).Status);

        Assert.Equal([$"write {2 * Sector} {Sector}"], disk.Calls);
    }

    [Fact]
    public void A_write_through_write_whose_flush_fails_is_an_io_error()
    {
        var disk = new FailingFlush(new MemoryBlockBackend(64 * Sector));
        using var rig = new BlockRig(disk, accept: ~VirtioBlock.FeatureFlush);
        rig.WriteHeader(VirtioBlock.RequestOut, 0);

        Assert.Equal((VirtioBlock.StatusIoError, 1U), rig.Submit(BlockRig.Out(BlockRig.Header, 16), BlockRig.Out(BlockRig.Data, Sector), BlockRig.In(BlockRig.Status, 1)));
        Assert.Equal(0x0f, rig.Driver.Status);
    }

    [Fact]
    public void A_reset_forgets_the_negotiated_features_and_a_new_negotiation_replaces_them()
    {
        var disk = new MemoryBlockBackend(64 * Sector);
        using var rig = new BlockRig(disk);
        Assert.False(rig.Device.WriteThrough);

        rig.Driver.Status = 0;
        Assert.Equal(0UL, rig.Device.NegotiatedFeatures);
        Assert.True(rig.Device.WriteThrough);

        rig.Negotiate(rig.OfferedFeatures & ~VirtioBlock.FeatureFlush);
        rig.WriteHeader(VirtioBlock.RequestOut, 1);
        rig.Submit(BlockRig.Out(BlockRig.Header, 16), BlockRig.Out(BlockRig.Data, Sector), BlockRig.In(BlockRig.Status, 1));
        Assert.Equal([$"write {Sector} {Sector}", "flush"], disk.Calls);
    }

    private static (byte Status, uint Used) Request(BlockRig rig)
        => rig.Submit(BlockRig.Out(BlockRig.Header, 16), BlockRig.Out(BlockRig.Data, 16), BlockRig.In(BlockRig.Status, 1));

    private sealed class FailingFlush(IBlockBackend inner) : IBlockBackend
    {
        public long Size => inner.Size;
        public bool ReadOnly => inner.ReadOnly;
        public void ReadAt(long offset, Span<byte> data) => inner.ReadAt(offset, data);
        public void WriteAt(long offset, ReadOnlySpan<byte> data) => inner.WriteAt(offset, data);
        public void Flush() => throw new IOException("fdatasync: EIO");
        public void Discard(long offset, long length) => inner.Discard(offset, length);
        public void WriteZeroes(long offset, long length, bool unmap) => inner.WriteZeroes(offset, length, unmap);
    }
}
