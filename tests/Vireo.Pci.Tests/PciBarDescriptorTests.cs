namespace Vireo.Pci.Tests;

public sealed class PciBarDescriptorTests
{
    [Theory]
    [InlineData(-1, 0x1000UL, PciBarKind.Memory32)]
    [InlineData(6, 0x1000UL, PciBarKind.Memory32)]
    [InlineData(5, 0x1000UL, PciBarKind.Memory64)] // a 64-bit BAR needs the next register too
    [InlineData(0, 0x1800UL, PciBarKind.Memory32)] // not a power of two
    [InlineData(0, 8UL, PciBarKind.Memory32)]
    [InlineData(0, 1UL << 32, PciBarKind.Memory32)]
    [InlineData(0, 2UL, PciBarKind.Io)]
    [InlineData(0, 512UL, PciBarKind.Io)]
    public void Rejects_an_index_or_size_the_bar_register_cannot_express(int index, ulong size, PciBarKind kind)
        => Assert.Throws<ArgumentException>(() => new PciBarDescriptor(index, size, kind));

    [Fact]
    public void Accepts_the_limits()
    {
        Assert.Equal(4, new PciBarDescriptor(4, 1UL << 40, PciBarKind.Memory64, prefetchable: true).Index);
        Assert.Equal(256UL, new PciBarDescriptor(5, 256, PciBarKind.Io).Size);
        Assert.Equal(1UL << 31, new PciBarDescriptor(0, 1UL << 31, PciBarKind.Memory32).Size);
        Assert.Equal(16UL, new PciBarDescriptor(0, 16, PciBarKind.Memory32).Size);
    }

    [Fact]
    public void Io_bars_are_neither_prefetchable_nor_mappable()
    {
        Assert.Throws<ArgumentException>(() => new PciBarDescriptor(0, 16, PciBarKind.Io, prefetchable: true));
        Assert.Throws<ArgumentException>(() => new PciBarDescriptor(0, 16, PciBarKind.Io, mmapAreas: [new PciMmapArea(0, 0x1000)]));
    }

    [Theory]
    [InlineData(0x800UL, 0x1000UL)] // not page aligned
    [InlineData(0UL, 0UL)] // empty
    [InlineData(0x3000UL, 0x2000UL)] // past the end
    [InlineData(ulong.MaxValue - 0xfff, 0x2000UL)] // offset + size wraps
    public void Rejects_mmap_areas_outside_the_bar_or_unaligned(ulong offset, ulong size)
        => Assert.Throws<ArgumentException>(() => new PciBarDescriptor(0, 0x4000, PciBarKind.Memory32, mmapAreas: [new PciMmapArea(offset, size)]));

    [Fact]
    public void Rejects_overlapping_mmap_areas_and_sorts_the_rest()
    {
        Assert.Throws<ArgumentException>(() => new PciBarDescriptor(0, 0x4000, PciBarKind.Memory32, mmapAreas: [new PciMmapArea(0, 0x2000), new PciMmapArea(0x1000, 0x1000)]));
        var bar = new PciBarDescriptor(2, 0x4000, PciBarKind.Memory64, mmapAreas: [new PciMmapArea(0x3000, 0x1000), new PciMmapArea(0, 0x1000)]);
        Assert.Equal([new PciMmapArea(0, 0x1000), new PciMmapArea(0x3000, 0x1000)], bar.MmapAreas);
        Assert.True(bar.IsMemory);
    }
}
