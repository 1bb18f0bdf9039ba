using Vireo.Sys;

namespace Vireo.Memory.Tests;

public sealed class GuestMemoryTests
{
    private const ulong Page = 4096;

    [Fact]
    public void TypedReadReturnsWhatWasWritten()
    {
        using GuestMemory memory = GuestMemory.Create((new GuestAddress(0), 4 * Page));
        memory.Write(new GuestAddress(0x100), 0x1122334455667788UL);
        memory.Write(new GuestAddress(0x200), (ushort)0xbeef);

        Assert.Equal(0x1122334455667788UL, memory.Read<ulong>(new GuestAddress(0x100)));
        Assert.Equal((byte)0x88, memory.Read<byte>(new GuestAddress(0x100)));
        Assert.Equal((ushort)0xbeef, memory.Read<ushort>(new GuestAddress(0x200)));
    }

    [Fact]
    public void AccessSpanningTwoAdjacentRegionsIsSplit()
    {
        using GuestMemory memory = GuestMemory.Create((new GuestAddress(0), Page), (new GuestAddress(Page), Page));
        memory.Write(new GuestAddress(Page - 4), 0x0102030405060708UL);

        Assert.Equal(0x0102030405060708UL, memory.Read<ulong>(new GuestAddress(Page - 4)));
        Assert.Equal(0x01020304u, memory.Read<uint>(new GuestAddress(Page)));
    }

    [Fact]
    public void AccessIntoAHoleThrowsAndNamesTheAddress()
    {
        using GuestMemory memory = GuestMemory.Create((new GuestAddress(0), Page), (new GuestAddress(4 * Page), Page));

        var e = Assert.Throws<GuestMemoryException>(() => memory.Read<uint>(new GuestAddress(Page - 2)));
        Assert.Contains("0x1000", e.Message);
        Assert.Throws<GuestMemoryException>(() => memory.Write(new GuestAddress(2 * Page), 1));
        Assert.False(memory.IsRange(new GuestAddress(0), 2 * Page));
        Assert.True(memory.IsRange(new GuestAddress(4 * Page), Page));
    }

    [Fact]
    public void RangesThatWrapTheAddressSpaceAreRejected()
    {
        using GuestMemory memory = GuestMemory.Create((new GuestAddress(0), Page));

        Assert.Throws<GuestMemoryException>(() => memory.Read<ulong>(new GuestAddress(ulong.MaxValue - 3)));
        Assert.Throws<GuestMemoryException>(() => memory.GetSpan(new GuestAddress(ulong.MaxValue), 2));
        Assert.False(memory.IsRange(new GuestAddress(8), ulong.MaxValue));
    }

    [Fact]
    public void GetSpanStaysInsideOneRegion()
    {
        using GuestMemory memory = GuestMemory.Create((new GuestAddress(0), Page), (new GuestAddress(Page), Page));

        Span<byte> span = memory.GetSpan(new GuestAddress(16), 32);
        span.Fill(0xab);
        Assert.Equal(0xababababu, memory.Read<uint>(new GuestAddress(16)));
        Assert.Throws<GuestMemoryException>(() => memory.GetSpan(new GuestAddress(Page - 8), 16));
        Assert.Throws<ArgumentOutOfRangeException>(() => memory.GetSpan(new GuestAddress(0), -1));
    }

    [Fact]
    public void OverlappingRegionsAreRejected()
    {
        GuestRegion a = GuestRegion.Create(new GuestAddress(0), 2 * Page);
        GuestRegion b = GuestRegion.Create(new GuestAddress(Page), Page);
        try
        {
            Assert.Throws<ArgumentException>(() => new GuestMemory([a, b]));
        }
        finally
        {
            a.Dispose();
            b.Dispose();
        }
    }

    [Fact]
    public void RegionsMustBePageSizedAndAligned()
    {
        Assert.Throws<ArgumentException>(() => GuestRegion.Create(new GuestAddress(0), 100));
        Assert.Throws<ArgumentException>(() => GuestRegion.Create(new GuestAddress(12), Page));
        Assert.Throws<GuestMemoryException>(() => GuestRegion.Create(new GuestAddress(ulong.MaxValue - Page + 1), 2 * Page));
    }

    [Fact]
    public unsafe void TheMemfdSharesTheSamePagesWithAnotherMapping()
    {
        using GuestMemory memory = GuestMemory.Create((new GuestAddress(0x10000), Page));
        memory.Write(new GuestAddress(0x10010), 0xdeadbeefu);

        using MappedMemory other = MappedMemory.MapShared(memory.Regions[0].Fd, Page);
        // Safe: reading 4 bytes at offset 0x10 of a one-page mapping.
        uint seen = *(uint*)((byte*)other.DangerousGetAddress() + 0x10);
        Assert.Equal(0xdeadbeefu, seen);
    }
}
