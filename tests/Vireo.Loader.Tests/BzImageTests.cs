namespace Vireo.Loader.Tests;

public sealed class BzImageTests
{
    [Fact]
    public void AWellFormedImageParsesAndExposesTheProtectedModeKernel()
    {
        BzImage image = BzImage.Parse(FakeBzImage.Build());

        Assert.Equal("2.15", image.ProtocolVersion);
        Assert.Equal(FakeBzImage.KernelBytes, image.ProtectedModeKernel.Length);
        Assert.Equal(unchecked((byte)((FakeBzImage.SetupSects + 1) * 512 * 7)), image.ProtectedModeKernel.Span[0]);
    }

    [Theory]
    [InlineData(0x0208, "2.12 or newer")]
    [InlineData(0x0200, "boot protocol 2.00")]
    public void AnOldBootProtocolIsRejected(int version, string expected)
    {
        var e = Assert.Throws<KernelImageException>(() => BzImage.Parse(FakeBzImage.Build(version: (ushort)version)));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void AFileWithoutTheHdrSSignatureIsNotABzImage()
    {
        byte[] file = FakeBzImage.Build();
        file[0x202] = (byte)'X';

        var e = Assert.Throws<KernelImageException>(() => BzImage.Parse(file, "vmlinuz"));
        Assert.Contains("vmlinuz is not a bzImage", e.Message);
    }

    [Fact]
    public void AnElfVmlinuxGetsAHintToUseTheBzImage()
    {
        var file = new byte[4096];
        "\u007fELF"u8.CopyTo(file);

        var e = Assert.Throws<KernelImageException>(() => BzImage.Parse(file));
        Assert.Contains("ELF", e.Message);
    }

    [Theory]
    [InlineData(100)]
    [InlineData(0x260)]
    [InlineData(5 * 512)]
    [InlineData(5 * 512 + 1000)]
    public void ATruncatedFileIsRejectedBeforeAnyVmExists(int length)
    {
        var e = Assert.Throws<KernelImageException>(() => BzImage.Parse(FakeBzImage.Build(truncateTo: length)));
        Assert.True(e.Message.Contains("truncated", StringComparison.Ordinal) || e.Message.Contains("too short", StringComparison.Ordinal), e.Message);
    }

    [Fact]
    public void AKernelWithoutA64BitEntryIsRejected()
    {
        var e = Assert.Throws<KernelImageException>(() => BzImage.Parse(FakeBzImage.Build(xloadflags: 0)));
        Assert.Contains("64-bit", e.Message);
    }

    [Fact]
    public void AZImageIsRejected()
    {
        var e = Assert.Throws<KernelImageException>(() => BzImage.Parse(FakeBzImage.Build(loadflags: 0)));
        Assert.Contains("zImage", e.Message);
    }

    [Fact]
    public void AMissingFileGivesAClearError()
    {
        var e = Assert.Throws<KernelImageException>(() => BzImage.Load("/nonexistent/vmlinuz"));
        Assert.Contains("/nonexistent/vmlinuz", e.Message);
    }

    [Fact]
    public void AnImageLoadedFromAFileIsTheParsedImageAndLoadsTheSameBytes()
    {
        byte[] bytes = FakeBzImage.Build();
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, bytes);

            BzImage fromFile = BzImage.Load(path);
            BzImage parsed = BzImage.Parse(bytes);

            Assert.Equal(parsed.ProtocolVersion, fromFile.ProtocolVersion);
            Assert.Equal(parsed.ProtectedModeKernelLength, fromFile.ProtectedModeKernelLength);
            Assert.Equal(parsed.ProtectedModeKernel.ToArray(), fromFile.ProtectedModeKernel.ToArray());
            using Vireo.Memory.GuestMemory a = Vireo.Memory.GuestMemory.Create((new Vireo.Memory.GuestAddress(0), 64UL << 20));
            using Vireo.Memory.GuestMemory b = Vireo.Memory.GuestMemory.Create((new Vireo.Memory.GuestAddress(0), 64UL << 20));
            LinuxLoader.Load(a, fromFile, "", ReadOnlyMemory<byte>.Empty, E820Map.For(a));
            LinuxLoader.Load(b, parsed, "", ReadOnlyMemory<byte>.Empty, E820Map.For(b));
            byte[] x = new byte[parsed.ProtectedModeKernelLength];
            byte[] y = new byte[parsed.ProtectedModeKernelLength];
            a.Read(LinuxLoader.KernelAddress, x);
            b.Read(LinuxLoader.KernelAddress, y);
            Assert.Equal(y, x);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void AFileCutShortOfWhatItsHeaderDescribesIsRefusedAtLoad()
    {
        byte[] bytes = FakeBzImage.Build();
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, bytes[..(bytes.Length - 100)]);

            var e = Assert.Throws<KernelImageException>(() => BzImage.Load(path));

            Assert.Contains("truncated", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
