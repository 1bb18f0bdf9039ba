namespace Vireo.Virtio.Tests;

/// <summary>What a disk counts for vm.info: successful requests by kind, the bytes they moved,
/// and the requests it refused.</summary>
public sealed class VirtioBlockCounterTests
{
    private const int Sector = VirtioBlock.SectorSize;

    [Fact]
    public void Each_request_kind_counts_when_it_succeeds_and_a_refused_request_counts_as_an_error()
    {
        using var rig = new BlockRig(new MemoryBlockBackend(16 * Sector));

        rig.WriteHeader(VirtioBlock.RequestOut, 2);
        Assert.Equal(VirtioBlock.StatusOk, rig.Submit(BlockRig.Out(BlockRig.Header, 16), BlockRig.Out(BlockRig.Data, 3 * Sector), BlockRig.In(BlockRig.Status, 1)).Status);
        rig.WriteHeader(VirtioBlock.RequestIn, 0);
        Assert.Equal(VirtioBlock.StatusOk, rig.Submit(BlockRig.Out(BlockRig.Header, 16), BlockRig.In(BlockRig.Data, 2 * Sector), BlockRig.In(BlockRig.Status, 1)).Status);
        rig.WriteHeader(VirtioBlock.RequestIn, 4);
        Assert.Equal(VirtioBlock.StatusOk, rig.Submit(BlockRig.Out(BlockRig.Header, 16), BlockRig.In(BlockRig.Data, Sector), BlockRig.In(BlockRig.Status, 1)).Status);
        rig.WriteHeader(VirtioBlock.RequestFlush, 0);
        Assert.Equal(VirtioBlock.StatusOk, rig.Submit(BlockRig.Out(BlockRig.Header, 16), BlockRig.In(BlockRig.Status, 1)).Status);
        rig.WriteSegment(BlockRig.Data, 8, 2, 0);
        rig.WriteHeader(VirtioBlock.RequestDiscard, 0);
        Assert.Equal(VirtioBlock.StatusOk, rig.Submit(BlockRig.Out(BlockRig.Header, 16), BlockRig.Out(BlockRig.Data, 16), BlockRig.In(BlockRig.Status, 1)).Status);
        // Past the end, and a kind the device does not know.
        rig.WriteHeader(VirtioBlock.RequestIn, 16);
        Assert.Equal(VirtioBlock.StatusIoError, rig.Submit(BlockRig.Out(BlockRig.Header, 16), BlockRig.In(BlockRig.Data, Sector), BlockRig.In(BlockRig.Status, 1)).Status);
        rig.WriteHeader(99, 0);
        Assert.Equal(VirtioBlock.StatusUnsupported, rig.Submit(BlockRig.Out(BlockRig.Header, 16), BlockRig.In(BlockRig.Status, 1)).Status);

        Assert.Equal(
            [
                new("read_ops", 2), new("read_bytes", 3 * Sector), new("write_ops", 1), new("write_bytes", 3 * Sector),
                new("flush_ops", 1), new("discard_ops", 1), new("write_zeroes_ops", 0), new("errors", 2),
            ],
            rig.Device.ReadCounters());
    }
}
