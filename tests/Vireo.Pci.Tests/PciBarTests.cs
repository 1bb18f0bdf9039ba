namespace Vireo.Pci.Tests;

public sealed class PciBarTests
{
    [Theory]
    [InlineData(0UL)]
    [InlineData(8UL)]
    [InlineData(0x1800UL)]
    public void Trapped_bar_size_is_a_power_of_two_of_at_least_16(ulong size)
        => Assert.Throws<ArgumentOutOfRangeException>(() => PciBar.Trapped(size));

    [Fact]
    public void Shared_memory_bar_checks_areas_and_bounds()
    {
        Assert.Throws<ArgumentException>(() => PciBar.SharedMemory(0x2000, [new PciMmapArea(0x800, 0x1000)]));
        using PciBar bar = PciBar.SharedMemory(0x2000, [new PciMmapArea(0, 0x1000)]);
        Assert.True(bar.IsSharedMemory);
        Assert.True(bar.IsInMmapArea(0xff8, 8));
        Assert.False(bar.IsInMmapArea(0xffc, 8));
        Assert.False(bar.IsInMmapArea(ulong.MaxValue, 2));
        bar.WriteMemory(0x1ffc, [1, 2, 3, 4]);
        byte[] back = new byte[4];
        bar.ReadMemory(0x1ffc, back);
        Assert.Equal<byte>([1, 2, 3, 4], back);
        Assert.Throws<ArgumentOutOfRangeException>(() => bar.ReadMemory(0x1ffe, new byte[4]));
        Assert.Throws<ArgumentOutOfRangeException>(() => bar.WriteMemory(ulong.MaxValue - 1, [1, 2, 3, 4]));
    }

    [Fact]
    public void Revoke_cuts_the_memfd_and_keeps_contents_until_reinstated()
    {
        using PciBar bar = PciBar.SharedMemory(0x1000);
        bar.WriteMemory(0x10, [0xaa]);
        bar.Revoke();
        Assert.True(bar.IsRevoked);
        Assert.Equal(0, Vireo.Sys.FileDescriptor.GetSize(bar.MemoryFd!));
        bar.WriteMemory(0x11, [0xbb]);
        bar.Reinstate();
        Assert.False(bar.IsRevoked);
        byte[] back = new byte[2];
        bar.ReadMemory(0x10, back);
        Assert.Equal<byte>([0xaa, 0xbb], back);
    }
}
