using Vireo.Sys;

namespace Vireo.Memory.Tests;

public sealed class GuestMemoryTests
{
    private const ulong Page = 4096;

    [Fact]
    public void ResidentBytesCountsOnlyThePagesTouched()
    {
        using GuestMemory memory = GuestMemory.Create(GuestMemoryBacking.Shared, (new GuestAddress(0), 64 * Page));
        Assert.Equal(0UL, memory.ResidentBytes());

        memory.Write(new GuestAddress(0), (byte)1);
        memory.Write(new GuestAddress(10 * Page), (byte)1);
        memory.Write(new GuestAddress(63 * Page + 100), (byte)1);

        // Exactly three 4 KiB pages, unless the host backs shmem with huge pages.
        ulong resident = memory.ResidentBytes();
        Assert.True(resident == 3 * Page || File.ReadAllText("/sys/kernel/mm/transparent_hugepage/shmem_enabled").Contains("[always]", StringComparison.Ordinal),
            $"{resident} bytes resident after touching three pages");
        Assert.True(resident >= 3 * Page);
    }

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
    public unsafe void SharedMemoryIsAMemfdThatSharesTheSamePagesWithAnotherMapping()
    {
        using GuestMemory memory = GuestMemory.Create(GuestMemoryBacking.Shared, (new GuestAddress(0x10000), Page));
        memory.Write(new GuestAddress(0x10010), 0xdeadbeefu);
        Assert.False(memory.Regions[0].HugePagesAdvised);

        using MappedMemory other = MappedMemory.MapShared(memory.Regions[0].Fd!, Page);
        // Safe: reading 4 bytes at offset 0x10 of a one-page mapping.
        uint seen = *(uint*)((byte*)other.DangerousGetAddress() + 0x10);
        Assert.Equal(0xdeadbeefu, seen);
    }

    [Fact]
    public unsafe void PrivateMemoryIsHugePageAlignedAndAdvisedWhereTheHostHasThp()
    {
        const ulong size = 6UL << 20;
        using GuestMemory memory = GuestMemory.Create((new GuestAddress(0), size));
        GuestRegion region = memory.Regions[0];
        Assert.Equal(GuestMemoryBacking.Private, region.Backing);
        Assert.Null(region.Fd);
        // Aligned, so KVM can map guest 2 MiB frames onto host huge pages one to one.
        Assert.Equal(0UL, (ulong)region.DangerousGetHostAddress() % MappedMemory.HugePageSize);
        bool thp = File.Exists("/sys/kernel/mm/transparent_hugepage/enabled")
            && !File.ReadAllText("/sys/kernel/mm/transparent_hugepage/enabled").Contains("[never]", StringComparison.Ordinal);
        Assert.Equal(thp, region.HugePagesAdvised);

        // The whole range is usable, first byte to last, and reads back zero-filled elsewhere.
        memory.Write(new GuestAddress(0), 0x11223344u);
        memory.Write(new GuestAddress(size - 4), 0x55667788u);
        Assert.Equal(0x11223344u, memory.Read<uint>(new GuestAddress(0)));
        Assert.Equal(0x55667788u, memory.Read<uint>(new GuestAddress(size - 4)));
        Assert.Equal(0UL, memory.Read<ulong>(new GuestAddress(3UL << 20)));
        if (thp)
        {
            // The kernel reports the range as advised for THP: "hg" in its VmFlags.
            Assert.Contains("hg", SmapsFlags((ulong)region.DangerousGetHostAddress()));
        }
    }

    /// <summary>The VmFlags of the /proc/self/smaps entry that holds <paramref name="address"/>.</summary>
    private static string[] SmapsFlags(ulong address)
    {
        bool inside = false;
        foreach (string line in File.ReadLines("/proc/self/smaps"))
        {
            int dash = line.IndexOf('-', StringComparison.Ordinal);
            int space = line.IndexOf(' ', StringComparison.Ordinal);
            if (dash > 0 && space > dash && ulong.TryParse(line.AsSpan(0, dash), System.Globalization.NumberStyles.HexNumber, null, out ulong from)
                && ulong.TryParse(line.AsSpan(dash + 1, space - dash - 1), System.Globalization.NumberStyles.HexNumber, null, out ulong to))
            {
                inside = address >= from && address < to;
            }
            else if (inside && line.StartsWith("VmFlags:", StringComparison.Ordinal))
            {
                return line["VmFlags:".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            }
        }
        throw new InvalidOperationException($"no smaps entry holds 0x{address:x}");
    }
}
