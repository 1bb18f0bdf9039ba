using System.Buffers.Binary;
using System.Text;
using Vireo.Memory;

namespace Vireo.Virtio.Tests;

/// <summary>The block device driven end to end through the transport, as Linux's virtio_blk would,
/// over an in-memory disk that records its calls and over a real image file.</summary>
public sealed class VirtioBlockTests
{
    private const int Sector = VirtioBlock.SectorSize;
    private const ulong Transport = VirtioFeatures.Version1 | VirtioFeatures.EventIdx | VirtioFeatures.IndirectDesc;

    [Fact]
    public void A_writable_disk_offers_flush_discard_and_write_zeroes_and_describes_itself_byte_exact()
    {
        using var rig = new BlockRig(new MemoryBlockBackend(64 * Sector + 100));

        Assert.Equal(Transport | VirtioBlock.FeatureSegMax | VirtioBlock.FeatureBlockSize | VirtioBlock.FeatureFlush
            | VirtioBlock.FeatureDiscard | VirtioBlock.FeatureWriteZeroes, rig.OfferedFeatures);
        byte[] expected = new byte[VirtioBlockConfig.Size];
        BinaryPrimitives.WriteUInt64LittleEndian(expected, 64); // capacity: whole sectors only
        BinaryPrimitives.WriteUInt32LittleEndian(expected.AsSpan(12), 254); // seg_max
        BinaryPrimitives.WriteUInt32LittleEndian(expected.AsSpan(20), 512); // blk_size
        BinaryPrimitives.WriteUInt32LittleEndian(expected.AsSpan(36), 65536); // max_discard_sectors
        BinaryPrimitives.WriteUInt32LittleEndian(expected.AsSpan(40), 1); // max_discard_seg
        BinaryPrimitives.WriteUInt32LittleEndian(expected.AsSpan(44), 8); // discard_sector_alignment
        BinaryPrimitives.WriteUInt32LittleEndian(expected.AsSpan(48), 65536); // max_write_zeroes_sectors
        BinaryPrimitives.WriteUInt32LittleEndian(expected.AsSpan(52), 1); // max_write_zeroes_seg
        expected[56] = 1; // write_zeroes_may_unmap
        Assert.Equal(expected, rig.ReadConfig(0, VirtioBlockConfig.Size));
        Assert.Equal(expected.AsSpan(36, 4).ToArray(), rig.ReadConfig(36, 4));
        Assert.Equal(new byte[] { 64, 0 }, rig.ReadConfig(0, 2));
        Assert.Equal(0x1042U, rig.Driver.ConfigU32(0) >> 16); // PCI device ID 0x1040 + 2
    }

    [Fact]
    public void A_read_only_disk_offers_RO_and_neither_discard_nor_write_zeroes()
    {
        using var rig = new BlockRig(new MemoryBlockBackend(8 * Sector, readOnly: true));

        Assert.Equal(Transport | VirtioBlock.FeatureSegMax | VirtioBlock.FeatureBlockSize | VirtioBlock.FeatureFlush
            | VirtioBlock.FeatureReadOnly, rig.OfferedFeatures);
        byte[] config = rig.ReadConfig(0, VirtioBlockConfig.Size);
        Assert.Equal(8UL, BinaryPrimitives.ReadUInt64LittleEndian(config));
        Assert.All(config.AsSpan(36).ToArray(), b => Assert.Equal(0, b));
    }

    [Fact]
    public void Config_writes_are_ignored()
    {
        using var rig = new BlockRig(new MemoryBlockBackend(8 * Sector));
        byte[] before = rig.ReadConfig(0, VirtioBlockConfig.Size);

        rig.Function.WriteBar(0, VirtioPciFunction.DeviceConfigOffset + 32, [1]); // wce
        rig.Function.WriteBar(0, VirtioPciFunction.DeviceConfigOffset, [0xff, 0xff, 0xff, 0xff]);

        Assert.Equal(before, rig.ReadConfig(0, VirtioBlockConfig.Size));
    }

    [Fact]
    public void Write_then_read_round_trips_through_a_real_image_whatever_the_buffer_boundaries()
    {
        using var image = new TempImage(64 * Sector);
        byte[] data = TempImage.Pattern(3 * Sector, seed: 1);
        using (var backend = new RawFileBackend(image.Path))
        using (var rig = new BlockRig(backend))
        {
            // Header split 10 + 6, data 700 + 836 readable bytes: the framing is not the buffers.
            rig.WriteHeader(VirtioBlock.RequestOut, 5);
            rig.Fill(BlockRig.Data, data);
            (byte status, uint used) = rig.Submit(
                BlockRig.Out(BlockRig.Header, 10), BlockRig.Out(BlockRig.Header + 10, 6),
                BlockRig.Out(BlockRig.Data, 700), BlockRig.Out(BlockRig.Data + 700, 836),
                BlockRig.In(BlockRig.Status, 1));
            Assert.Equal((VirtioBlock.StatusOk, 1U), (status, used));

            // Read back into 1000 + (536 data + the status byte in the same buffer).
            rig.WriteHeader(VirtioBlock.RequestIn, 5);
            (status, used) = rig.Submit(BlockRig.Out(BlockRig.Header, 16), BlockRig.In(0x80000, 1000), BlockRig.In(0x90000, 537));
            Assert.Equal((VirtioBlock.StatusOk, (uint)(3 * Sector) + 1), (status, used));
            Assert.Equal(data, rig.Guest(0x80000, 1000).Concat(rig.Guest(0x90000, 536)));
        }

        byte[] expected = (byte[])image.Original.Clone();
        data.CopyTo(expected, 5 * Sector);
        Assert.Equal(expected, image.Contents());
    }

    [Fact]
    public void A_read_larger_than_the_bounce_buffer_is_copied_in_chunks()
    {
        using var image = new TempImage(1024 * Sector);
        using var backend = new RawFileBackend(image.Path, readOnly: true);
        using var rig = new BlockRig(backend);
        const int length = (3 * VirtioBlock.ChunkSize) + (5 * Sector);
        rig.WriteHeader(VirtioBlock.RequestIn, 100);

        (byte status, uint used) = rig.Submit(BlockRig.Out(BlockRig.Header, 16), BlockRig.In(BlockRig.Data, length), BlockRig.In(BlockRig.Status, 1));

        Assert.Equal((VirtioBlock.StatusOk, (uint)length + 1), (status, used));
        Assert.Equal(image.Original.AsSpan(100 * Sector, length).ToArray(), rig.Guest(BlockRig.Data, length));
        Assert.Equal([1], rig.Interrupt.Signals);
    }

    [Fact]
    public void Flush_reaches_the_backend_after_the_writes_before_it()
    {
        var disk = new MemoryBlockBackend(16 * Sector);
        using var rig = new BlockRig(disk);
        rig.WriteHeader(VirtioBlock.RequestOut, 2);
        Assert.Equal((VirtioBlock.StatusOk, 1U), rig.Submit(BlockRig.Out(BlockRig.Header, 16), BlockRig.Out(BlockRig.Data, Sector), BlockRig.In(BlockRig.Status, 1)));
        rig.WriteHeader(VirtioBlock.RequestFlush, 0);

        (byte status, uint used) = rig.Submit(BlockRig.Out(BlockRig.Header, 16), BlockRig.In(BlockRig.Status, 1));

        Assert.Equal((VirtioBlock.StatusOk, 1U), (status, used));
        Assert.Equal(1, disk.Flushes);
        Assert.Equal(["write 1024 512", "flush"], disk.Calls);
    }

    [Fact]
    public void A_flush_carrying_data_is_an_io_error_and_does_not_flush()
    {
        var disk = new MemoryBlockBackend(16 * Sector);
        using var rig = new BlockRig(disk);
        rig.WriteHeader(VirtioBlock.RequestFlush, 0);

        Assert.Equal(VirtioBlock.StatusIoError, rig.Submit(BlockRig.Out(BlockRig.Header, 16), BlockRig.Out(BlockRig.Data, Sector), BlockRig.In(BlockRig.Status, 1)).Status);
        Assert.Equal(VirtioBlock.StatusIoError, rig.Submit(BlockRig.Out(BlockRig.Header, 16), BlockRig.In(BlockRig.Data, Sector), BlockRig.In(BlockRig.Status, 1)).Status);
        Assert.Equal(0, disk.Flushes);
    }

    [Fact]
    public void Get_id_returns_the_disk_id_zero_padded_to_20_bytes()
    {
        using var rig = new BlockRig(new MemoryBlockBackend(8 * Sector), "vireo-disk-0");
        rig.WriteHeader(VirtioBlock.RequestGetId, 0);
        rig.Fill(BlockRig.Data, Enumerable.Repeat((byte)0xaa, 32).ToArray());

        (byte status, uint used) = rig.Submit(BlockRig.Out(BlockRig.Header, 16), BlockRig.In(BlockRig.Data, 20), BlockRig.In(BlockRig.Status, 1));

        Assert.Equal((VirtioBlock.StatusOk, 21U), (status, used));
        byte[] expected = new byte[20];
        "vireo-disk-0"u8.CopyTo(expected);
        Assert.Equal(expected, rig.Guest(BlockRig.Data, 20));
        Assert.Equal(0xaa, rig.Guest(BlockRig.Data + 20, 1)[0]);
    }

    [Theory]
    [InlineData("abcdefghijklmnopqrstuvwxyz", "abcdefghijklmnopqrst")]
    [InlineData("abcdefghijklmnopqrsé", "abcdefghijklmnopqrs")] // 21 bytes: the 'é' at 19-20 is not cut in two
    [InlineData("disque-été-numéro-1", "disque-été-numéro")] // 22 bytes; 20 end on a character
    [InlineData("", "")]
    public void The_serial_is_the_ids_utf8_cut_at_a_character_boundary(string id, string serial)
    {
        var device = new VirtioBlock(new MemoryBlockBackend(Sector), id);

        byte[] expected = new byte[VirtioBlock.IdLength];
        Encoding.UTF8.GetBytes(serial).CopyTo(expected, 0);
        Assert.Equal(expected, device.Serial.ToArray());
    }

    [Fact]
    public void Discard_reaches_the_backend_and_frees_the_range_of_a_real_image()
    {
        var disk = new MemoryBlockBackend(64 * Sector);
        using (var rig = new BlockRig(disk))
        {
            rig.WriteHeader(VirtioBlock.RequestDiscard, 0);
            rig.WriteSegment(BlockRig.Data, 8, 16, 0);
            Assert.Equal((VirtioBlock.StatusOk, 1U), rig.Submit(BlockRig.Out(BlockRig.Header, 16), BlockRig.Out(BlockRig.Data, 16), BlockRig.In(BlockRig.Status, 1)));
            Assert.Equal([$"discard {8 * Sector} {16 * Sector}"], disk.Calls);
        }

        using var image = new TempImage(64 * Sector);
        using (var backend = new RawFileBackend(image.Path))
        using (var rig = new BlockRig(backend))
        {
            rig.WriteHeader(VirtioBlock.RequestDiscard, 0);
            rig.WriteSegment(BlockRig.Data, 8, 16, 0);
            Assert.Equal(VirtioBlock.StatusOk, rig.Submit(BlockRig.Out(BlockRig.Header, 16), BlockRig.Out(BlockRig.Data, 16), BlockRig.In(BlockRig.Status, 1)).Status);
        }
        byte[] expected = (byte[])image.Original.Clone();
        Array.Clear(expected, 8 * Sector, 16 * Sector);
        Assert.Equal(expected, image.Contents());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Write_zeroes_zeroes_the_range_of_a_real_image_and_nothing_else(bool unmap)
    {
        using var image = new TempImage(64 * Sector);
        using (var backend = new RawFileBackend(image.Path))
        using (var rig = new BlockRig(backend))
        {
            rig.WriteHeader(VirtioBlock.RequestWriteZeroes, 0);
            rig.WriteSegment(BlockRig.Data, 3, 5, unmap ? VirtioBlockDiscardSegment.FlagUnmap : 0);
            Assert.Equal((VirtioBlock.StatusOk, 1U), rig.Submit(BlockRig.Out(BlockRig.Header, 16), BlockRig.Out(BlockRig.Data, 16), BlockRig.In(BlockRig.Status, 1)));
        }
        byte[] expected = (byte[])image.Original.Clone();
        Array.Clear(expected, 3 * Sector, 5 * Sector);
        Assert.Equal(expected, image.Contents());
    }

    [Fact]
    public void Write_zeroes_passes_unmap_to_the_backend()
    {
        var disk = new MemoryBlockBackend(64 * Sector);
        using var rig = new BlockRig(disk);
        rig.WriteHeader(VirtioBlock.RequestWriteZeroes, 0);
        rig.WriteSegment(BlockRig.Data, 1, 2, VirtioBlockDiscardSegment.FlagUnmap);
        rig.WriteSegment(BlockRig.Data + 16, 4, 1, 0);

        rig.Submit(BlockRig.Out(BlockRig.Header, 16), BlockRig.Out(BlockRig.Data, 16), BlockRig.In(BlockRig.Status, 1));
        rig.Submit(BlockRig.Out(BlockRig.Header, 16), BlockRig.Out(BlockRig.Data + 16, 16), BlockRig.In(BlockRig.Status, 1));

        Assert.Equal([$"zeroes {Sector} {2 * Sector} unmap", $"zeroes {4 * Sector} {Sector} keep"], disk.Calls);
    }

    [Theory]
    [InlineData(VirtioBlock.RequestDiscard, 0, 8, VirtioBlockDiscardSegment.FlagUnmap, VirtioBlock.StatusUnsupported)] // UNMAP is for write zeroes only
    [InlineData(VirtioBlock.RequestDiscard, 0, 8, 2u, VirtioBlock.StatusUnsupported)] // an unknown flag
    [InlineData(VirtioBlock.RequestWriteZeroes, 0, 8, 0x80000001u, VirtioBlock.StatusUnsupported)]
    [InlineData(VirtioBlock.RequestDiscard, 0, VirtioBlock.MaxDiscardSectors + 1, 0u, VirtioBlock.StatusIoError)] // over max_discard_sectors
    [InlineData(VirtioBlock.RequestWriteZeroes, 0, VirtioBlock.MaxDiscardSectors + 1, 0u, VirtioBlock.StatusIoError)]
    [InlineData(VirtioBlock.RequestDiscard, 60, 5, 0u, VirtioBlock.StatusIoError)] // past the end
    [InlineData(VirtioBlock.RequestWriteZeroes, ulong.MaxValue, 1, 0u, VirtioBlock.StatusIoError)] // sector × 512 would wrap
    public void A_discard_or_write_zeroes_range_the_device_cannot_take_does_nothing(uint type, ulong sector, uint count, uint flags, byte status)
    {
        var disk = new MemoryBlockBackend(64 * Sector);
        using var rig = new BlockRig(disk);
        rig.WriteHeader(type, 0);
        rig.WriteSegment(BlockRig.Data, sector, count, flags);

        Assert.Equal((status, 1U), rig.Submit(BlockRig.Out(BlockRig.Header, 16), BlockRig.Out(BlockRig.Data, 16), BlockRig.In(BlockRig.Status, 1)));
        Assert.Empty(disk.Calls);
    }

    [Theory]
    [InlineData(0u)] // no range at all
    [InlineData(8u)] // half a range
    [InlineData(32u)] // two ranges, over max_discard_seg
    public void A_discard_with_other_than_one_whole_range_is_an_io_error(uint length)
    {
        var disk = new MemoryBlockBackend(64 * Sector);
        using var rig = new BlockRig(disk);
        rig.WriteHeader(VirtioBlock.RequestDiscard, 0);
        rig.WriteSegment(BlockRig.Data, 0, 1, 0);
        rig.WriteSegment(BlockRig.Data + 16, 1, 1, 0);
        (ulong, uint, bool)[] chain = length == 0
            ? [BlockRig.Out(BlockRig.Header, 16), BlockRig.In(BlockRig.Status, 1)]
            : [BlockRig.Out(BlockRig.Header, 16), BlockRig.Out(BlockRig.Data, length), BlockRig.In(BlockRig.Status, 1)];

        Assert.Equal(VirtioBlock.StatusIoError, rig.Submit(chain).Status);
        Assert.Empty(disk.Calls);
    }

    [Fact]
    public void A_read_only_disk_refuses_every_write_with_an_io_error_and_still_reads()
    {
        using var image = new TempImage(16 * Sector);
        using (var backend = new RawFileBackend(image.Path, readOnly: true))
        using (var rig = new BlockRig(backend))
        {
            rig.WriteHeader(VirtioBlock.RequestOut, 0);
            rig.Fill(BlockRig.Data, new byte[Sector]);
            Assert.Equal((VirtioBlock.StatusIoError, 1U), rig.Submit(BlockRig.Out(BlockRig.Header, 16), BlockRig.Out(BlockRig.Data, Sector), BlockRig.In(BlockRig.Status, 1)));
            foreach (uint type in new[] { VirtioBlock.RequestDiscard, VirtioBlock.RequestWriteZeroes })
            {
                rig.WriteHeader(type, 0);
                rig.WriteSegment(BlockRig.Data, 0, 4, 0);
                // Neither feature is offered on a read-only disk, so neither was negotiated.
                Assert.Equal(VirtioBlock.StatusUnsupported, rig.Submit(BlockRig.Out(BlockRig.Header, 16), BlockRig.Out(BlockRig.Data, 16), BlockRig.In(BlockRig.Status, 1)).Status);
            }
            rig.WriteHeader(VirtioBlock.RequestIn, 1);
            Assert.Equal((VirtioBlock.StatusOk, Sector + 1U), rig.Submit(BlockRig.Out(BlockRig.Header, 16), BlockRig.In(BlockRig.Data, Sector), BlockRig.In(BlockRig.Status, 1)));
            Assert.Equal(image.Original.AsSpan(Sector, Sector).ToArray(), rig.Guest(BlockRig.Data, Sector));
            rig.WriteHeader(VirtioBlock.RequestFlush, 0);
            Assert.Equal(VirtioBlock.StatusOk, rig.Submit(BlockRig.Out(BlockRig.Header, 16), BlockRig.In(BlockRig.Status, 1)).Status);
        }
        Assert.Equal(image.Original, image.Contents());
    }

    [Theory]
    [InlineData(VirtioBlock.RequestIn, 15UL, 2 * Sector)] // the last sector and one more
    [InlineData(VirtioBlock.RequestOut, 15UL, 2 * Sector)]
    [InlineData(VirtioBlock.RequestIn, 17UL, 0)] // starts past the end, even with no data
    [InlineData(VirtioBlock.RequestIn, ulong.MaxValue, Sector)] // sector × 512 would wrap
    [InlineData(VirtioBlock.RequestOut, (ulong.MaxValue / 512) + 1, Sector)]
    public void A_request_past_the_end_is_an_io_error_without_io(uint type, ulong sector, int length)
    {
        var disk = new MemoryBlockBackend(16 * Sector);
        using var rig = new BlockRig(disk);
        rig.WriteHeader(type, sector);
        bool read = type == VirtioBlock.RequestIn;
        (ulong, uint, bool)[] chain = length == 0
            ? [BlockRig.Out(BlockRig.Header, 16), BlockRig.In(BlockRig.Status, 1)]
            : [BlockRig.Out(BlockRig.Header, 16), (BlockRig.Data, (uint)length, read), BlockRig.In(BlockRig.Status, 1)];

        Assert.Equal((VirtioBlock.StatusIoError, 1U), rig.Submit(chain));
        Assert.Empty(disk.Calls);
        Assert.All(rig.Guest(BlockRig.Data, length), b => Assert.Equal(0, b));
    }

    [Fact]
    public void The_last_sector_is_inside_the_disk()
    {
        var disk = new MemoryBlockBackend(16 * Sector);
        disk.Data.AsSpan(15 * Sector).Fill(0x5a);
        using var rig = new BlockRig(disk);
        rig.WriteHeader(VirtioBlock.RequestIn, 15);

        Assert.Equal((VirtioBlock.StatusOk, Sector + 1U), rig.Submit(BlockRig.Out(BlockRig.Header, 16), BlockRig.In(BlockRig.Data, Sector), BlockRig.In(BlockRig.Status, 1)));
        Assert.All(rig.Guest(BlockRig.Data, Sector), b => Assert.Equal(0x5a, b));
    }

    public static TheoryData<string, (ulong, uint, bool)[], byte> Misshapen() => new()
    {
        { "header of 15 bytes", [BlockRig.Out(BlockRig.Header, 15), BlockRig.In(BlockRig.Data, Sector), BlockRig.In(BlockRig.Status, 1)], VirtioBlock.StatusIoError },
        { "header in a writable buffer", [BlockRig.In(BlockRig.Header, 16), BlockRig.In(BlockRig.Data, Sector), BlockRig.In(BlockRig.Status, 1)], VirtioBlock.StatusIoError },
        { "read of 513 bytes", [BlockRig.Out(BlockRig.Header, 16), BlockRig.In(BlockRig.Data, Sector + 1), BlockRig.In(BlockRig.Status, 1)], VirtioBlock.StatusIoError },
        { "read with readable data", [BlockRig.Out(BlockRig.Header, 16), BlockRig.Out(BlockRig.Data, Sector), BlockRig.In(BlockRig.Status, 1)], VirtioBlock.StatusIoError },
    };

    [Theory]
    [MemberData(nameof(Misshapen))]
    public void A_misshapen_read_is_answered_with_an_io_error(string what, (ulong, uint, bool)[] chain, byte status)
    {
        var disk = new MemoryBlockBackend(16 * Sector);
        using var rig = new BlockRig(disk);
        rig.WriteHeader(VirtioBlock.RequestIn, 0);

        Assert.True(rig.Submit(chain) == (status, 1U), what);
        Assert.Empty(disk.Calls);
    }

    [Theory]
    [InlineData(100)] // not whole sectors
    [InlineData(Sector + 1)]
    public void A_write_of_partial_sectors_is_an_io_error(int length)
    {
        var disk = new MemoryBlockBackend(16 * Sector);
        using var rig = new BlockRig(disk);
        rig.WriteHeader(VirtioBlock.RequestOut, 0);

        Assert.Equal((VirtioBlock.StatusIoError, 1U), rig.Submit(BlockRig.Out(BlockRig.Header, 16), BlockRig.Out(BlockRig.Data, (uint)length), BlockRig.In(BlockRig.Status, 1)));
        Assert.Empty(disk.Calls);
    }

    [Fact]
    public void A_write_with_writable_data_is_an_io_error()
    {
        var disk = new MemoryBlockBackend(16 * Sector);
        using var rig = new BlockRig(disk);
        rig.WriteHeader(VirtioBlock.RequestOut, 0);

        Assert.Equal((VirtioBlock.StatusIoError, 1U), rig.Submit(BlockRig.Out(BlockRig.Header, 16), BlockRig.Out(BlockRig.Data, Sector), BlockRig.In(0x80000, Sector), BlockRig.In(BlockRig.Status, 1)));
        Assert.Empty(disk.Calls);
    }

    [Theory]
    [InlineData(2u)] // VIRTIO_BLK_T_SCSI_CMD (legacy)
    [InlineData(14u)] // VIRTIO_BLK_T_SECURE_ERASE, not offered
    [InlineData(0x80000001u)] // a legacy barrier bit
    [InlineData(uint.MaxValue)]
    public void An_unknown_request_type_is_unsupported(uint type)
    {
        var disk = new MemoryBlockBackend(16 * Sector);
        using var rig = new BlockRig(disk);
        rig.WriteHeader(type, 0);

        Assert.Equal((VirtioBlock.StatusUnsupported, 1U), rig.Submit(BlockRig.Out(BlockRig.Header, 16), BlockRig.In(BlockRig.Data, Sector), BlockRig.In(BlockRig.Status, 1)));
        Assert.Empty(disk.Calls);
    }

    [Fact]
    public void A_request_without_a_status_byte_needs_a_reset()
    {
        var disk = new MemoryBlockBackend(16 * Sector);
        using var rig = new BlockRig(disk);
        rig.WriteHeader(VirtioBlock.RequestOut, 0);
        rig.Ring.Descriptor(0, BlockRig.Header, 16, VirtqDescriptor.FlagNext, 1);
        rig.Ring.Descriptor(1, BlockRig.Data, Sector);
        rig.Ring.Offer(0);

        rig.Driver.Kick(0);

        Assert.Equal(0x4f, rig.Driver.Status);
        Assert.Equal(0, rig.Ring.UsedIdx);
        Assert.Empty(disk.Calls);
        Assert.Equal([0], rig.Interrupt.Signals); // the config vector
    }

    [Fact]
    public void A_zero_length_status_buffer_is_no_status_byte()
    {
        var disk = new MemoryBlockBackend(16 * Sector);
        var device = new VirtioBlock(disk, "d");
        using GuestMemory memory = DriverRing.NewMemory();
        var ring = new DriverRing(memory, 8);
        SplitVirtqueue queue = ring.DeviceQueue();
        memory.Write(new GuestAddress(BlockRig.Header), new VirtioBlockRequestHeader { Type = VirtioBlock.RequestFlush });
        ring.Descriptor(0, BlockRig.Header, 16, VirtqDescriptor.FlagNext, 1);
        ring.Descriptor(1, BlockRig.Status, 0, VirtqDescriptor.FlagWrite);
        ring.Offer(0);

        Assert.Throws<VirtqueueException>(() => device.ProcessQueue(0, queue, memory));
        Assert.Equal(0, disk.Flushes);
    }

    [Fact]
    public void The_status_byte_is_the_last_non_empty_writable_byte()
    {
        var disk = new MemoryBlockBackend(16 * Sector);
        using var rig = new BlockRig(disk);
        rig.WriteHeader(VirtioBlock.RequestFlush, 0);
        rig.Memory.Write(new GuestAddress(BlockRig.Status), (byte)0xee);

        rig.Submit(BlockRig.Out(BlockRig.Header, 16), BlockRig.In(BlockRig.Status, 1), BlockRig.In(BlockRig.Data, 0));

        Assert.Equal(VirtioBlock.StatusOk, rig.Memory.Read<byte>(new GuestAddress(BlockRig.Status)));
        Assert.Equal(1, disk.Flushes);
    }

    [Theory]
    [InlineData(VirtioBlock.RequestIn)]
    [InlineData(VirtioBlock.RequestOut)]
    [InlineData(VirtioBlock.RequestFlush)]
    [InlineData(VirtioBlock.RequestDiscard)]
    [InlineData(VirtioBlock.RequestWriteZeroes)]
    public void A_failing_backend_fails_that_request_alone(uint type)
    {
        var disk = new MemoryBlockBackend(16 * Sector) { FailNext = true };
        using var rig = new BlockRig(disk);
        rig.WriteHeader(type, 0);
        rig.WriteSegment(BlockRig.Data, 0, 1, 0);
        (ulong, uint, bool)[] chain = type switch
        {
            VirtioBlock.RequestIn => [BlockRig.Out(BlockRig.Header, 16), BlockRig.In(BlockRig.Data, Sector), BlockRig.In(BlockRig.Status, 1)],
            VirtioBlock.RequestOut => [BlockRig.Out(BlockRig.Header, 16), BlockRig.Out(BlockRig.Data, Sector), BlockRig.In(BlockRig.Status, 1)],
            VirtioBlock.RequestFlush => [BlockRig.Out(BlockRig.Header, 16), BlockRig.In(BlockRig.Status, 1)],
            _ => [BlockRig.Out(BlockRig.Header, 16), BlockRig.Out(BlockRig.Data, 16), BlockRig.In(BlockRig.Status, 1)],
        };

        Assert.Equal((VirtioBlock.StatusIoError, 1U), rig.Submit(chain));
        Assert.Equal((VirtioBlock.StatusOk, type == VirtioBlock.RequestIn ? Sector + 1U : 1U), rig.Submit(chain));
        Assert.Equal(0x0f, rig.Driver.Status);
    }

    [Fact]
    public void A_buffer_across_two_ram_regions_is_read_and_written_through_the_bounce_buffer()
    {
        // Guest RAM in two mappings that meet at 0x80000; the data buffer straddles them, so it
        // is no single host span and the request is copied instead of transferred in place.
        using GuestMemory memory = GuestMemory.Create((new GuestAddress(0), 0x80000UL), (new GuestAddress(0x80000), 0x80000UL));
        var disk = new MemoryBlockBackend(64 * Sector);
        byte[] pattern = Enumerable.Range(0, 4 * Sector).Select(i => (byte)(i * 7)).ToArray();
        disk.WriteAt(8 * Sector, pattern);
        using var rig = new BlockRig(disk, memory: memory);
        const ulong Straddling = 0x80000 - (2 * Sector);

        rig.WriteHeader(VirtioBlock.RequestIn, 8);
        Assert.Equal((VirtioBlock.StatusOk, (uint)(4 * Sector) + 1), rig.Submit(BlockRig.Out(BlockRig.Header, 16), BlockRig.In(Straddling, 4 * Sector), BlockRig.In(BlockRig.Status, 1)));
        Assert.Equal(pattern, rig.Guest(Straddling, 4 * Sector));

        rig.WriteHeader(VirtioBlock.RequestOut, 20);
        Assert.Equal((VirtioBlock.StatusOk, 1U), rig.Submit(BlockRig.Out(BlockRig.Header, 16), BlockRig.Out(Straddling, 4 * Sector), BlockRig.In(BlockRig.Status, 1)));
        byte[] back = new byte[4 * Sector];
        disk.ReadAt(20 * Sector, back);
        Assert.Equal(pattern, back);
    }

    [Fact]
    public void A_read_that_fails_midway_claims_no_data_only_the_status()
    {
        // Two data buffers, read in place one after the other; the second read fails. How much of
        // a vectored read arrived is unknown, so the used length claims none of it (§2.7.8: the
        // driver trusts no byte past it).
        var disk = new FailingAfter(new MemoryBlockBackend(1024 * Sector), reads: 1);
        using var rig = new BlockRig(disk);
        rig.WriteHeader(VirtioBlock.RequestIn, 0);

        (byte status, uint used) = rig.Submit(BlockRig.Out(BlockRig.Header, 16), BlockRig.In(BlockRig.Data, Sector),
            BlockRig.In(BlockRig.Data + 0x1000, Sector), BlockRig.In(BlockRig.Status, 1));

        Assert.Equal((VirtioBlock.StatusIoError, 1U), (status, used));
    }

    [Fact]
    public void Requests_queued_together_are_all_served_in_order()
    {
        var disk = new MemoryBlockBackend(16 * Sector);
        using var rig = new BlockRig(disk);
        rig.WriteHeader(VirtioBlock.RequestOut, 1, 0x38000);
        rig.WriteHeader(VirtioBlock.RequestFlush, 0, 0x38100);
        rig.Fill(BlockRig.Data, Enumerable.Repeat((byte)0x42, Sector).ToArray());
        rig.Ring.Descriptor(0, 0x38000, 16, VirtqDescriptor.FlagNext, 1);
        rig.Ring.Descriptor(1, BlockRig.Data, Sector, VirtqDescriptor.FlagNext, 2);
        rig.Ring.Descriptor(2, 0x38200, 1, VirtqDescriptor.FlagWrite);
        rig.Ring.Descriptor(3, 0x38100, 16, VirtqDescriptor.FlagNext, 4);
        rig.Ring.Descriptor(4, 0x38201, 1, VirtqDescriptor.FlagWrite);
        rig.Ring.Offer(0);
        rig.Ring.Offer(3);

        rig.Driver.Kick(0);

        Assert.Equal(2, rig.Ring.UsedIdx);
        Assert.Equal(new VirtqUsedElement { Id = 0, Length = 1 }, rig.Ring.Used(0));
        Assert.Equal(new VirtqUsedElement { Id = 3, Length = 1 }, rig.Ring.Used(1));
        Assert.Equal(["write 512 512", "flush"], disk.Calls);
        Assert.Equal(new byte[] { 0, 0 }, rig.Guest(0x38200, 2));
        Assert.Equal([1], rig.Interrupt.Signals);
    }

    private sealed class FailingAfter(IBlockBackend inner, int reads) : IBlockBackend
    {
        private int _reads = reads;

        public long Size => inner.Size;
        public bool ReadOnly => inner.ReadOnly;

        public void ReadAt(long offset, Span<byte> data)
        {
            if (_reads-- == 0)
            {
                throw new IOException("the disk went away");
            }
            inner.ReadAt(offset, data);
        }

        public void WriteAt(long offset, ReadOnlySpan<byte> data) => inner.WriteAt(offset, data);
        public void Flush() => inner.Flush();
        public void Discard(long offset, long length) => inner.Discard(offset, length);
        public void WriteZeroes(long offset, long length, bool unmap) => inner.WriteZeroes(offset, length, unmap);
    }
}
