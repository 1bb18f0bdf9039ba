using Vireo.SampleDevice;
using Vireo.TestSupport;
using Vireo.VfioUser;

namespace Vireo.Vmm.Tests;

/// <summary>`vireo bench pci` with small counts: the figures are sane and every phase did its
/// work (the benchmark itself checks the ID, the writes and the DMA'd bytes; this checks again
/// from the device's side).</summary>
public sealed class PciBenchmarkTests
{
    [KvmFact]
    public void Measures_trapped_reads_mapped_writes_and_dma_against_their_references()
    {
        using var device = new AcceleratorDevice();
        using var server = new InProcessVfioUserServer(device);
        using VfioPciFunction fn = VfioPciFunction.Open(VfioUserClient.Open(server.ClientEnd), "sample");
        using var kvm = Vireo.Kvm.KvmSystem.Open();

        PciBenchmarkResult result = PciBenchmark.Run(kvm, fn, reads: 40, rounds: 3);

        Assert.Equal(3, result.Rounds);
        Assert.Equal(40, result.Reads);
        Assert.Equal(16384, result.Writes);
        Assert.Equal(4, result.Transfers);
        Assert.Equal(AcceleratorDevice.BufferSize, (uint)result.TransferBytes);
        foreach (double figure in new[] { result.ReferenceReadUs, result.TrappedReadUs, result.RamWriteUs, result.MappedWriteUs, result.DmaUs, result.CopyUs })
        {
            Assert.True(double.IsFinite(figure) && figure > 0, $"figure {figure}");
        }
        foreach (double ratio in new[] { result.TrappedReadRatio, result.MappedWriteRatio, result.DmaThroughputRatio })
        {
            Assert.True(double.IsFinite(ratio) && ratio > 0, $"ratio {ratio}");
        }
        // A trapped read does strictly more than a plain exit: it also crosses the socket twice.
        Assert.True(result.TrappedReadUs > result.ReferenceReadUs, $"{result.TrappedReadUs} µs vs {result.ReferenceReadUs} µs");
        Assert.True(result.PollsPerTransfer >= 1, $"{result.PollsPerTransfer} polls");
        // Warm-up, then 3 rounds of 4 DMAs, each moving the pattern into the buffer.
        Assert.Equal(4u * 4, device.Completed);
        for (uint offset = 0; offset < AcceleratorDevice.BufferSize; offset += 0x1000 - 4)
        {
            uint expected = BitConverter.ToUInt32([PciBenchmark.SourceByte((int)offset), PciBenchmark.SourceByte((int)offset + 1), PciBenchmark.SourceByte((int)offset + 2), PciBenchmark.SourceByte((int)offset + 3)]);
            Assert.Equal(expected, fn.Device.ReadRegionU32(AcceleratorDevice.BufferBar, offset));
        }
        Assert.True(fn.IsAlive);
    }

    [Fact]
    public void Its_copy_of_the_sample_register_map_matches_the_sample()
    {
        Assert.Equal(AcceleratorDevice.VendorId, PciBenchmark.SampleVendorId);
        Assert.Equal(AcceleratorDevice.DeviceId, PciBenchmark.SampleDeviceId);
        Assert.Equal(AcceleratorDevice.RegId, PciBenchmark.RegId);
        Assert.Equal(AcceleratorDevice.RegStatus, PciBenchmark.RegStatus);
        Assert.Equal(AcceleratorDevice.RegSource, PciBenchmark.RegSource);
        Assert.Equal(AcceleratorDevice.RegDestination, PciBenchmark.RegDestination);
        Assert.Equal(AcceleratorDevice.RegLength, PciBenchmark.RegLength);
        Assert.Equal(AcceleratorDevice.RegCompleted, PciBenchmark.RegCompleted);
        Assert.Equal(AcceleratorDevice.RegCommand, PciBenchmark.RegCommand);
        Assert.Equal(AcceleratorDevice.Id, PciBenchmark.SampleId);
        Assert.Equal(AcceleratorDevice.StatusError, PciBenchmark.StatusError);
        Assert.Equal(AcceleratorDevice.DirectionMemoryToBuffer | AcceleratorDevice.CommandStart, PciBenchmark.CommandMemoryToBuffer);
        Assert.Equal(AcceleratorDevice.BufferBar, PciBenchmark.BufferBar);
        Assert.Equal(AcceleratorDevice.BufferSize, (uint)PciBenchmark.TransferBytes);
    }
}
