using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Vireo.Sys;

namespace Vireo.Virtio.Tests;

/// <summary>The raw image backend with O_DIRECT on real temporary files (/tmp must be a file
/// system with direct I/O, ext4 or xfs): byte-exact at any offset, the file's size kept.</summary>
public sealed class RawFileBackendDirectTests
{
    [Fact]
    public void A_direct_image_is_open_with_O_DIRECT_and_aligned_to_what_the_file_needs()
    {
        using var image = new TempImage(64 * 1024);
        DirectIoAlignment expected;
        using (SafeFileHandle probe = File.OpenHandle(image.Path, FileMode.Open, FileAccess.Read))
        {
            expected = FileStorage.GetDirectIoAlignment(probe) ?? throw new InvalidOperationException("/tmp has no direct I/O");
        }
        using var backend = new RawFileBackend(image.Path, direct: true);

        Assert.True(backend.Direct);
        Assert.Equal(Math.Max(expected.Offset, 512), backend.Alignment);
        Assert.Contains(OpenDescriptions(image.Path), flags => (flags & (int)OpenFlags.Direct) != 0);
    }

    [Theory]
    [InlineData(512)] // what the file system asks (ext4 on a 512-byte-sector disk)
    [InlineData(4096)] // a 4 KiB-sector disk: every 512-byte guest request is read-modify-write
    public void Reads_and_writes_at_unaligned_offsets_and_lengths_are_byte_exact_and_reach_the_file(int alignment)
    {
        const int size = 1024 * 1024;
        using var image = new TempImage(size);
        byte[] model = (byte[])image.Original.Clone();
        (long Offset, int Length)[] writes =
        [
            (512, 512), // one sector, inside a 4 KiB block
            (3 * 512, 7 * 512), // 512-multiples across a block boundary
            (1000, 1234), // neither offset nor length a sector multiple
            (4096 + 512, RawFileBackend.DirectChunk + 3 * 4096 + 1024), // wider than the bounce buffer, ragged ends
            (size - 700, 700), // the image's last bytes
        ];
        using (var backend = new RawFileBackend(image.Path, readOnly: false, direct: true, alignment))
        {
            Assert.Equal(Math.Max(alignment, backend.Alignment), backend.Alignment);
            int seed = 10;
            foreach ((long offset, int length) in writes)
            {
                byte[] data = TempImage.Pattern(length, seed++);
                backend.WriteAt(offset, data);
                data.CopyTo(model, offset);
            }
            foreach ((long offset, int length) in new (long, int)[] { (0, size), (1, 511), (513, 4000), (777, RawFileBackend.DirectChunk + 5000), (size - 1, 1) })
            {
                byte[] back = new byte[length];
                backend.ReadAt(offset, back);
                Assert.True(model.AsSpan((int)offset, length).SequenceEqual(back), $"read of {length} at {offset}");
            }
            backend.Flush();
        }

        Assert.Equal(model, image.Contents());
        Assert.Equal(size, new FileInfo(image.Path).Length);
    }

    [Theory]
    [InlineData(512)]
    [InlineData(4096)]
    public void The_tail_of_an_image_whose_size_is_not_a_multiple_of_the_alignment_keeps_the_size(int alignment)
    {
        const int size = 8192 + 100;
        using var image = new TempImage(size);
        byte[] model = (byte[])image.Original.Clone();
        using (var backend = new RawFileBackend(image.Path, readOnly: false, direct: true, alignment))
        {
            Assert.Equal(size, backend.Size);
            byte[] data = TempImage.Pattern(300, seed: 4);
            backend.WriteAt(size - 300, data);
            data.CopyTo(model, size - 300);
            backend.WriteZeroes(size - 50, 50, unmap: false);
            Array.Clear(model, size - 50, 50);
            byte[] back = new byte[600];
            backend.ReadAt(size - 600, back);
            Assert.Equal(model.AsSpan(size - 600).ToArray(), back);
        }

        Assert.Equal(model, image.Contents());
    }

    [Theory]
    [InlineData(512)]
    [InlineData(4096)]
    public void A_guest_reads_and_writes_unaligned_sector_runs_through_the_device(int alignment)
    {
        using var image = new TempImage(256 * VirtioBlock.SectorSize);
        byte[] model = (byte[])image.Original.Clone();
        using (var backend = new RawFileBackend(image.Path, readOnly: false, direct: true, alignment))
        using (var rig = new BlockRig(backend))
        {
            foreach ((ulong sector, int sectors) in new (ulong, int)[] { (1, 1), (3, 7), (17, 130), (255, 1) })
            {
                int length = sectors * VirtioBlock.SectorSize;
                byte[] data = TempImage.Pattern(length, (int)sector);
                rig.WriteHeader(VirtioBlock.RequestOut, sector);
                rig.Fill(BlockRig.Data, data);
                Assert.Equal((VirtioBlock.StatusOk, 1U), rig.Submit(BlockRig.Out(BlockRig.Header, 16), BlockRig.Out(BlockRig.Data, (uint)length), BlockRig.In(BlockRig.Status, 1)));
                data.CopyTo(model, (int)sector * VirtioBlock.SectorSize);

                rig.WriteHeader(VirtioBlock.RequestIn, sector - 1);
                int readLength = Math.Min(length + VirtioBlock.SectorSize, model.Length - ((int)(sector - 1) * VirtioBlock.SectorSize));
                Assert.Equal((VirtioBlock.StatusOk, (uint)readLength + 1), rig.Submit(BlockRig.Out(BlockRig.Header, 16), BlockRig.In(BlockRig.Data, (uint)readLength), BlockRig.In(BlockRig.Status, 1)));
                Assert.Equal(model.AsSpan((int)(sector - 1) * VirtioBlock.SectorSize, readLength).ToArray(), rig.Guest(BlockRig.Data, readLength));
            }
        }

        Assert.Equal(model, image.Contents());
    }

    [Fact]
    public void A_read_only_direct_image_reads()
    {
        using var image = new TempImage(16 * 1024);
        using var backend = new RawFileBackend(image.Path, readOnly: true, direct: true);
        byte[] back = new byte[3000];

        backend.ReadAt(1500, back);

        Assert.Equal(image.Original.AsSpan(1500, 3000).ToArray(), back);
    }

    [Fact]
    public void A_file_system_that_refuses_O_DIRECT_is_a_clear_error_naming_the_file()
    {
        // procfs refuses O_DIRECT on every kernel (tmpfs did before Linux 6.6).
        DirectIoUnsupportedException e = Assert.Throws<DirectIoUnsupportedException>(() => new RawFileBackend("/proc/version", readOnly: true, direct: true).Dispose());

        Assert.Contains("/proc/version", e.Message, StringComparison.Ordinal);
        Assert.Contains("drop `direct`", e.Message, StringComparison.Ordinal);
    }

    // The status flags of every descriptor of this process open on the path (/proc/self/fdinfo, octal).
    private static List<int> OpenDescriptions(string path)
    {
        var flags = new List<int>();
        foreach (string fd in Directory.GetFiles("/proc/self/fd"))
        {
            string? target = null;
            try
            {
                target = new FileInfo(fd).LinkTarget;
            }
            catch (IOException)
            {
            }
            if (target == path)
            {
                string info = File.ReadAllText($"/proc/self/fdinfo/{Path.GetFileName(fd)}");
                string line = info.Split('\n').Single(l => l.StartsWith("flags:", StringComparison.Ordinal));
                flags.Add(Convert.ToInt32(line["flags:".Length..].Trim(), 8));
            }
        }
        return flags;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public unsafe void Vectored_reads_and_writes_are_byte_exact_buffered_and_direct_aligned_or_not(bool direct)
    {
        const int size = 256 * 1024;
        using var image = new TempImage(size);
        byte[] model = (byte[])image.Original.Clone();
        byte* memory = (byte*)NativeMemory.AlignedAlloc(64 * 1024, 4096);
        try
        {
            using var backend = new RawFileBackend(image.Path, readOnly: false, direct: direct);
            // Aligned (page-sized guest pages, as Linux gives them) and unaligned (a 512-byte
            // segment at an odd address): a direct image takes the bounce buffer for the second.
            foreach ((long offset, IoSegment[] segments) in (ReadOnlySpan<(long, IoSegment[])>)[
                (8192, [new((nint)(memory + 8192), 4096), new((nint)memory, 4096)]),
                (512, [new((nint)(memory + 16384 + 3), 512), new((nint)(memory + 20480), 1024)])])
            {
                backend.ReadAt(offset, segments);
                var written = new List<byte>();
                int at = 0;
                foreach (IoSegment segment in segments)
                {
                    var span = new Span<byte>((void*)segment.Address, segment.Length);
                    Assert.Equal(model.AsSpan((int)offset + at, segment.Length).ToArray(), span.ToArray());
                    span.Fill((byte)(at + 7));
                    written.AddRange(span.ToArray());
                    at += segment.Length;
                }
                backend.WriteAt(offset + (64 * 1024), segments);
                written.ToArray().CopyTo(model, offset + (64 * 1024));
            }
        }
        finally
        {
            NativeMemory.AlignedFree(memory);
        }
        Assert.Equal(model, File.ReadAllBytes(image.Path));
    }
}
