using System.Buffers.Binary;
using Vireo.Memory;

namespace Vireo.Loader.Tests;

public sealed class Arm64ImageTests
{
    private const ulong MiB = 1 << 20;
    private static readonly GuestAddress RamBase = new(0x4000_0000);

    [Fact]
    public void ImageHeaderIsRead()
    {
        byte[] file = FakeArm64Image.Image(length: 0x3000, textOffset: 0x8_0000, imageSize: 0x10_0000);
        Arm64Image image = Arm64Image.Parse(file);
        Assert.Equal(Arm64ImageFormat.Image, image.Format);
        Assert.Equal(0x8_0000ul, image.TextOffset);
        Assert.Equal(0x10_0000ul, image.EffectiveSize);
        Assert.Equal(Arm64PageSize.Size4K, image.PageSize);
        Assert.True(image.AnyPhysicalPlacement);
        Assert.Equal(file, image.Image.ToArray());
    }

    [Fact]
    public void FlagsGiveThePageSizeAndPlacement()
    {
        Arm64Image image = Arm64Image.Parse(FakeArm64Image.Image(flags: 3 << 1));
        Assert.Equal(Arm64PageSize.Size64K, image.PageSize);
        Assert.False(image.AnyPhysicalPlacement);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(0x38)]
    [InlineData(63)]
    public void TruncatedHeaderIsRefused(int length)
    {
        byte[] file = FakeArm64Image.Image(length: 64).AsSpan(0, length).ToArray();
        Assert.Contains("64-byte", Assert.Throws<KernelImageException>(() => Arm64Image.Parse(file)).Message);
    }

    [Fact]
    public void WrongMagicIsRefused()
    {
        var e = Assert.Throws<KernelImageException>(() => Arm64Image.Parse(FakeArm64Image.Image(magic: 0x5372_6448)));
        Assert.Contains("not an arm64 kernel Image", e.Message);
    }

    [Fact]
    public void BigEndianKernelIsRefused()
    {
        var e = Assert.Throws<KernelImageException>(() => Arm64Image.Parse(FakeArm64Image.Image(flags: FakeArm64Image.Flags4KAnywhere | 1)));
        Assert.Contains("big-endian", e.Message);
    }

    [Theory]
    [InlineData(0x20_0000ul, 0x10_0000ul)]
    [InlineData(ulong.MaxValue, 0x10_0000ul)]
    [InlineData(0ul, ulong.MaxValue)]
    [InlineData(0ul, 0x8000_0000_0000_0000ul)]
    [InlineData(0ul, 0x1000ul)]
    public void AbsurdTextOffsetOrImageSizeIsRefused(ulong textOffset, ulong imageSize)
    {
        Assert.Throws<KernelImageException>(() => Arm64Image.Parse(FakeArm64Image.Image(textOffset: textOffset, imageSize: imageSize)));
    }

    [Fact]
    public void ImageSizeZeroMeansTheOldRules()
    {
        // booting.rst: before 3.17, text_offset is 0x80000 whatever the header says.
        Arm64Image image = Arm64Image.Parse(FakeArm64Image.Image(length: 0x3000, textOffset: 0x1234_5678, imageSize: 0, flags: 1));
        Assert.Equal(Arm64Image.LegacyTextOffset, image.TextOffset);
        Assert.Equal(4 * MiB, image.EffectiveSize);
    }

    [Fact]
    public void GzipImageIsInflated()
    {
        byte[] raw = FakeArm64Image.Image(length: 0x5000);
        Arm64Image image = Arm64Image.Parse(FakeArm64Image.Gzip(raw));
        Assert.Equal(Arm64ImageFormat.Gzip, image.Format);
        Assert.Equal(raw, image.Image.ToArray());
    }

    [Fact]
    public void GzipBombIsRefused()
    {
        byte[] raw = FakeArm64Image.Image(length: (int)(8 * MiB));
        var e = Assert.Throws<KernelImageException>(() => Arm64Image.Parse(FakeArm64Image.Gzip(raw), maxImageSize: (long)MiB));
        Assert.Contains("more than 1048576 bytes", e.Message);
    }

    [Fact]
    public void RawImageOverTheLimitIsRefused()
    {
        Assert.Throws<KernelImageException>(() => Arm64Image.Parse(FakeArm64Image.Image(length: 0x3000), maxImageSize: 0x2000));
    }

    [Fact]
    public void TruncatedGzipIsRefused()
    {
        byte[] gzip = FakeArm64Image.Gzip(FakeArm64Image.Image(length: 0x5000));
        for (int cut = 1; cut < gzip.Length; cut += 7)
        {
            Assert.Throws<KernelImageException>(() => Arm64Image.Parse(gzip.AsSpan(0, gzip.Length - cut).ToArray()));
        }
    }

    [Fact]
    public void CorruptGzipIsRefused()
    {
        byte[] gzip = FakeArm64Image.Gzip(FakeArm64Image.Image(length: 0x5000));
        gzip[12] ^= 0xff;
        gzip[13] ^= 0x5a;
        Assert.Throws<KernelImageException>(() => Arm64Image.Parse(gzip));
    }

    [Fact]
    public void DoublyGzippedImageIsRefused()
    {
        byte[] twice = FakeArm64Image.Gzip(FakeArm64Image.Gzip(FakeArm64Image.Image()));
        Assert.Contains("twice", Assert.Throws<KernelImageException>(() => Arm64Image.Parse(twice)).Message);
    }

    [Fact]
    public void ZbootGzipPayloadIsInflated()
    {
        byte[] raw = FakeArm64Image.Image(length: 0x5000);
        Arm64Image image = Arm64Image.Parse(FakeArm64Image.Zboot(FakeArm64Image.Gzip(raw)));
        Assert.Equal(Arm64ImageFormat.EfiZbootGzip, image.Format);
        Assert.Equal(raw, image.Image.ToArray());
    }

    [Theory]
    [InlineData("zstd")]
    [InlineData("lzma")]
    [InlineData("xz")]
    [InlineData("lz4")]
    public void ZbootWithAnotherCompressionIsRefusedNamingIt(string compression)
    {
        byte[] file = FakeArm64Image.Zboot(new byte[64], compression);
        var e = Assert.Throws<KernelImageException>(() => Arm64Image.Parse(file));
        Assert.Contains($"'{compression}'", e.Message);
    }

    [Fact]
    public void ZbootWithUnprintableCompressionNameIsRefused()
    {
        byte[] file = FakeArm64Image.Zboot(new byte[64], "\u0001\u0002");
        Assert.Contains("(unreadable)", Assert.Throws<KernelImageException>(() => Arm64Image.Parse(file)).Message);
    }

    [Theory]
    [InlineData(0x80u, 0xffff_ffffu)]
    [InlineData(0xffff_ffffu, 0x10u)]
    [InlineData(0xffff_fff0u, 0x20u)]
    [InlineData(0x80u, 0u)]
    public void ZbootPayloadOutsideTheFileIsRefused(uint offset, uint size)
    {
        byte[] file = FakeArm64Image.Zboot(FakeArm64Image.Gzip(FakeArm64Image.Image()), payloadOffset: offset, payloadSize: size);
        Assert.Throws<KernelImageException>(() => Arm64Image.Parse(file));
    }

    [Fact]
    public void ZbootPayloadThatIsNotGzipIsRefused()
    {
        byte[] file = FakeArm64Image.Zboot(FakeArm64Image.Image());
        Assert.Contains("gzip magic", Assert.Throws<KernelImageException>(() => Arm64Image.Parse(file)).Message);
    }

    [Fact]
    public void ZbootBombIsRefused()
    {
        byte[] file = FakeArm64Image.Zboot(FakeArm64Image.Gzip(FakeArm64Image.Image(length: (int)(4 * MiB))));
        Assert.Throws<KernelImageException>(() => Arm64Image.Parse(file, maxImageSize: (long)MiB));
    }

    [Fact]
    public void PlacementPutsTheKernelLowAndTheTreeAndInitrdHigh()
    {
        Arm64Image image = Arm64Image.Parse(FakeArm64Image.Image(imageSize: 0x201_0000));
        Arm64BootLayout layout = image.Place(RamBase, 256 * MiB, deviceTreeSize: 0x1_0000, initrdSize: 0x10_0800);
        Assert.Equal(new GuestAddress(0x4000_0000), layout.KernelAddress);
        Assert.Equal(layout.KernelAddress, layout.Entry);
        Assert.Equal(new GuestAddress(0x4201_0000), layout.KernelEnd);
        // The highest 2 MiB block that holds the whole tree.
        Assert.Equal(new GuestAddress(0x4fe0_0000), layout.DeviceTreeAddress);
        // Page-aligned, ending at or below the tree.
        Assert.Equal(new GuestAddress(0x4fcf_f000), layout.InitrdAddress);
    }

    [Fact]
    public void PlacementHonoursTextOffsetAndAnUnalignedRamBase()
    {
        Arm64Image image = Arm64Image.Parse(FakeArm64Image.Image(textOffset: 0x8_0000, imageSize: 0x10_0000));
        Arm64BootLayout layout = image.Place(new GuestAddress(0x4010_0000), 64 * MiB, deviceTreeSize: 0x2000, initrdSize: 0);
        Assert.Equal(new GuestAddress(0x4028_0000), layout.KernelAddress);
        Assert.Null(layout.InitrdAddress);
        Assert.Equal(0ul, layout.DeviceTreeAddress.Value % 8);
    }

    [Fact]
    public void InitrdStaysWithin32GiBOfTheKernelInLargeRam()
    {
        // booting.rst: one 1 GiB-aligned window of up to 32 GiB covers the kernel and the initrd.
        Arm64Image image = Arm64Image.Parse(FakeArm64Image.Image());
        Arm64BootLayout layout = image.Place(RamBase, 64UL << 30, deviceTreeSize: 0x1_0000, initrdSize: 0x100_0000);
        Assert.Equal(new GuestAddress(0x4000_0000 + (64UL << 30) - 2 * MiB), layout.DeviceTreeAddress);
        Assert.Equal(new GuestAddress(0x4000_0000 + (32UL << 30) - 0x100_0000), layout.InitrdAddress);
    }

    [Fact]
    public void TreeOfExactly2MiBFillsTheTopBlock()
    {
        Arm64Image image = Arm64Image.Parse(FakeArm64Image.Image());
        Arm64BootLayout layout = image.Place(RamBase, 64 * MiB, deviceTreeSize: 2 * MiB, initrdSize: 0);
        Assert.Equal(new GuestAddress(0x4000_0000 + 62 * MiB), layout.DeviceTreeAddress);
    }

    [Fact]
    public void TreeOver2MiBIsRefused()
    {
        Arm64Image image = Arm64Image.Parse(FakeArm64Image.Image());
        Assert.Throws<KernelImageException>(() => image.Place(RamBase, 64 * MiB, deviceTreeSize: 2 * MiB + 1, initrdSize: 0));
        Assert.Throws<KernelImageException>(() => image.Place(RamBase, 64 * MiB, deviceTreeSize: 0, initrdSize: 0));
    }

    [Theory]
    [InlineData(0x200_0000ul, 0x10_0000ul, 0ul)] // kernel alone fills RAM
    [InlineData(0x400_0000ul, 0x10_0000ul, 0x200_0000ul)] // initrd does not fit
    [InlineData(0x1_0000ul, 0x1000ul, 0ul)] // RAM smaller than the kernel
    public void RamTooSmallIsRefused(ulong ramSize, ulong treeSize, ulong initrdSize)
    {
        Arm64Image image = Arm64Image.Parse(FakeArm64Image.Image(imageSize: 0x200_0000));
        var e = Assert.Throws<KernelImageException>(() => image.Place(RamBase, ramSize, treeSize, initrdSize));
        Assert.Contains("more than", e.Message);
    }

    [Fact]
    public void RamAtTheTopOfTheAddressSpaceIsRefusedNotWrapped()
    {
        Arm64Image image = Arm64Image.Parse(FakeArm64Image.Image());
        Assert.Throws<KernelImageException>(() => image.Place(new GuestAddress(ulong.MaxValue - 0xfff), 0x1000, 0x100, 0));
        Assert.Throws<KernelImageException>(() => image.Place(new GuestAddress(ulong.MaxValue - 0xfff), 0x2000, 0x100, 0));
    }

    [Fact]
    public void WriteToLoadsTheImageAtItsAddress()
    {
        byte[] file = FakeArm64Image.Image(length: 0x3000, textOffset: 0x8_0000, imageSize: 0x8000);
        Arm64Image image = Arm64Image.Parse(file);
        using GuestMemory memory = GuestMemory.Create((RamBase, 16 * MiB));
        Arm64BootLayout layout = image.Place(RamBase, 16 * MiB, 0x1000, 0);
        image.WriteTo(memory, layout);
        byte[] back = new byte[0x3000];
        memory.Read(new GuestAddress(RamBase.Value + 0x8_0000), back);
        Assert.Equal(file, back);
    }

    [Fact]
    public void MissingFileIsAKernelImageError()
    {
        Assert.Throws<KernelImageException>(() => Arm64Image.Load("/nonexistent/vmlinuz"));
    }

    [DebianArm64KernelFact]
    public void DebiansKernelIsReadAndPlaced()
    {
        Arm64Image image = Arm64Image.Load(DebianArm64KernelFactAttribute.Path);
        Assert.Equal(Arm64ImageFormat.Image, image.Format);
        Assert.Equal(Arm64PageSize.Size4K, image.PageSize);
        Assert.True(image.EffectiveSize >= (ulong)image.Image.Length);
        Assert.Equal(Arm64Image.Magic, BinaryPrimitives.ReadUInt32LittleEndian(image.Image.Span[0x38..]));
        Arm64BootLayout layout = image.Place(RamBase, 512 * MiB, 0x1_0000, 16 * MiB);
        Assert.Equal(RamBase.Value + image.TextOffset, layout.KernelAddress.Value);
        Assert.True(layout.InitrdAddress!.Value.Value >= layout.KernelEnd.Value);

        // The same kernel gzipped, as Ubuntu ships it, inflates to the same bytes.
        Arm64Image gzipped = Arm64Image.Parse(FakeArm64Image.Gzip(image.Image.ToArray()));
        Assert.True(gzipped.Image.Span.SequenceEqual(image.Image.Span));
    }
}
