using Vireo.Memory;
using Vireo.Sys;
using Vireo.TestSupport;

namespace Vireo.Virtio.Tests;

/// <summary>The block device with its reads and writes in an engine (io_uring, a thread pool):
/// byte-exact round trips, a whole queue pass in flight at once and completed on a later pass as
/// the queue worker would serve it, a reset that waits out what is in flight, errors and short
/// transfers, and the requests an engine refuses served in place.</summary>
public sealed class VirtioBlockEngineTests
{
    private const int Sector = VirtioBlock.SectorSize;

    [IoUringFact]
    public void Write_then_read_round_trip_through_io_uring_whatever_the_buffer_boundaries() => RoundTrip("uring");

    [Fact]
    public void Write_then_read_round_trip_through_the_thread_pool_whatever_the_buffer_boundaries() => RoundTrip("threads");

    [IoUringFact]
    public void A_pass_of_eight_reads_goes_to_io_uring_together_and_each_completes_with_its_own_data() => EightReads("uring");

    [Fact]
    public void A_pass_of_eight_reads_goes_to_the_thread_pool_together_and_each_completes_with_its_own_data() => EightReads("threads");

    private static void RoundTrip(string name)
    {
        using var image = new TempImage(64 * Sector);
        byte[] first = TempImage.Pattern(3 * Sector, seed: 4);
        byte[] second = TempImage.Pattern(2 * Sector, seed: 5);
        using (var backend = new RawFileBackend(image.Path))
        using (var counting = new CountingEngine(Engine(name, backend)))
        using (var rig = new BlockRig(backend, engine: counting))
        {
            // Two writes in one pass (so neither is alone): 3 sectors at 5 in two odd buffers, 2 at 20.
            rig.WriteHeader(VirtioBlock.RequestOut, 5, BlockRig.Header);
            rig.WriteHeader(VirtioBlock.RequestOut, 20, BlockRig.Header + 16);
            rig.Fill(BlockRig.Data, first);
            rig.Fill(BlockRig.Data + 0x4000, second);
            Assert.Equal(
                [(VirtioBlock.StatusOk, 1U), (VirtioBlock.StatusOk, 1U)],
                SubmitTogether(rig,
                    [BlockRig.Out(BlockRig.Header, 16), BlockRig.Out(BlockRig.Data, 700), BlockRig.Out(BlockRig.Data + 700, 836), BlockRig.In(BlockRig.Status, 1)],
                    [BlockRig.Out(BlockRig.Header + 16, 16), BlockRig.Out(BlockRig.Data + 0x4000, 2 * Sector), BlockRig.In(BlockRig.Status + 1, 1)]));

            // And back, the first read into 1000 + 536 bytes.
            rig.WriteHeader(VirtioBlock.RequestIn, 5, BlockRig.Header);
            rig.WriteHeader(VirtioBlock.RequestIn, 20, BlockRig.Header + 16);
            Assert.Equal(
                [(VirtioBlock.StatusOk, 3U * Sector + 1), (VirtioBlock.StatusOk, 2U * Sector + 1)],
                SubmitTogether(rig,
                    [BlockRig.Out(BlockRig.Header, 16), BlockRig.In(0x80000, 1000), BlockRig.In(0x90000, 536), BlockRig.In(BlockRig.Status, 1)],
                    [BlockRig.Out(BlockRig.Header + 16, 16), BlockRig.In(0xa0000, 2 * Sector), BlockRig.In(BlockRig.Status + 1, 1)]));
            Assert.Equal(first.AsSpan(0, 1000).ToArray(), rig.Guest(0x80000, 1000));
            Assert.Equal(first.AsSpan(1000).ToArray(), rig.Guest(0x90000, 536));
            Assert.Equal(second, rig.Guest(0xa0000, 2 * Sector));
            Assert.Equal(4, counting.Taken);
            Assert.Equal(0, rig.Device.RequestsInFlight);
            Dictionary<string, long> counters = rig.Device.ReadCounters().ToDictionary();
            Assert.Equal((2, 5 * Sector, 2, 5 * Sector, 0), (counters["read_ops"], counters["read_bytes"], counters["write_ops"], counters["write_bytes"], counters["errors"]));
        }
        // The image is the backend's (locked) until it is closed.
        byte[] contents = image.Contents();
        Assert.Equal(first, contents.AsSpan(5 * Sector, 3 * Sector).ToArray());
        Assert.Equal(second, contents.AsSpan(20 * Sector, 2 * Sector).ToArray());
    }

    private static void EightReads(string name)
    {
        using var image = new TempImage(64 * 4096);
        using var backend = new RawFileBackend(image.Path);
        using var counting = new CountingEngine(Engine(name, backend));
        using var rig = new BlockRig(backend, engine: counting);
        ushort before = rig.Ring.UsedIdx;

        // Two descriptors each (the ring has 16): the header, then the data with the status byte after it.
        for (ushort i = 0; i < 8; i++)
        {
            ulong header = BlockRig.Header + (16UL * i);
            rig.WriteHeader(VirtioBlock.RequestIn, (ulong)(7 * i) * 8, header);
            rig.Ring.Descriptor((ushort)(2 * i), header, 16, VirtqDescriptor.FlagNext, (ushort)((2 * i) + 1));
            rig.Ring.Descriptor((ushort)((2 * i) + 1), BlockRig.Data + (8192UL * i), 4097, VirtqDescriptor.FlagWrite);
            rig.Ring.Offer((ushort)(2 * i));
        }
        rig.Driver.Kick(0);
        rig.WaitForUsed((ushort)(before + 8));

        Assert.Equal((ushort)(before + 8), rig.Ring.UsedIdx);
        Assert.Equal(8, counting.Taken);
        var heads = new HashSet<uint>();
        for (ushort k = 0; k < 8; k++)
        {
            VirtqUsedElement used = rig.Ring.Used((ushort)(before + k));
            Assert.Equal(4097U, used.Length);
            heads.Add(used.Id);
        }
        Assert.Equal(Enumerable.Range(0, 8).Select(i => (uint)(2 * i)).ToHashSet(), heads);
        for (int i = 0; i < 8; i++)
        {
            ulong data = BlockRig.Data + (8192UL * (ulong)i);
            Assert.Equal(VirtioBlock.StatusOk, rig.Guest(data + 4096, 1)[0]);
            Assert.Equal(image.Original.AsSpan(7 * i * 4096, 4096).ToArray(), rig.Guest(data, 4096));
        }
        Assert.Equal(0, rig.Device.RequestsInFlight);
    }

    [Fact]
    public void A_request_alone_in_an_idle_queue_is_served_in_place_and_one_with_company_goes_to_the_engine()
    {
        var backend = new MemoryBlockBackend(16 * Sector);
        using var counting = new CountingEngine(new ThreadPoolBlockIo(backend, threads: 1));
        using var rig = new BlockRig(backend, engine: counting);

        rig.WriteHeader(VirtioBlock.RequestIn, 1);
        Assert.Equal((VirtioBlock.StatusOk, Sector + 1U), rig.Submit(BlockRig.Out(BlockRig.Header, 16), BlockRig.In(BlockRig.Data, Sector), BlockRig.In(BlockRig.Status, 1)));
        Assert.Equal(0, counting.Offered);

        rig.WriteHeader(VirtioBlock.RequestIn, 1, BlockRig.Header);
        rig.WriteHeader(VirtioBlock.RequestIn, 2, BlockRig.Header + 16);
        SubmitTogether(rig,
            [BlockRig.Out(BlockRig.Header, 16), BlockRig.In(BlockRig.Data, Sector), BlockRig.In(BlockRig.Status, 1)],
            [BlockRig.Out(BlockRig.Header + 16, 16), BlockRig.In(BlockRig.Data + 0x1000, Sector), BlockRig.In(BlockRig.Status + 1, 1)]);
        Assert.Equal(2, counting.Taken);
    }

    [IoUringFact]
    public void A_write_and_a_flush_in_one_pass_both_go_to_io_uring_and_the_flush_is_counted() => WriteAndFlush("uring");

    [Fact]
    public void A_write_and_a_flush_in_one_pass_both_go_to_the_thread_pool_and_the_flush_reaches_the_backend()
    {
        var backend = new MemoryBlockBackend(16 * Sector);
        using var counting = new CountingEngine(new ThreadPoolBlockIo(backend, threads: 2));
        using var rig = new BlockRig(backend, engine: counting);
        WriteFlushPass(rig, counting);
        Assert.Equal(1, backend.Flushes);
        Assert.Equal(TempImage.Pattern(Sector, seed: 9), backend.Data.AsSpan(3 * Sector, Sector).ToArray());
    }

    private static void WriteAndFlush(string name)
    {
        using var image = new TempImage(16 * Sector);
        using (var backend = new RawFileBackend(image.Path))
        using (var counting = new CountingEngine(Engine(name, backend)))
        using (var rig = new BlockRig(backend, engine: counting))
        {
            WriteFlushPass(rig, counting);
        }
        Assert.Equal(TempImage.Pattern(Sector, seed: 9), image.Contents().AsSpan(3 * Sector, Sector).ToArray());
    }

    private static void WriteFlushPass(BlockRig rig, CountingEngine counting)
    {
        rig.WriteHeader(VirtioBlock.RequestOut, 3, BlockRig.Header);
        rig.WriteHeader(VirtioBlock.RequestFlush, 0, BlockRig.Header + 16);
        rig.Fill(BlockRig.Data, TempImage.Pattern(Sector, seed: 9));
        Assert.Equal(
            [(VirtioBlock.StatusOk, 1U), (VirtioBlock.StatusOk, 1U)],
            SubmitTogether(rig,
                [BlockRig.Out(BlockRig.Header, 16), BlockRig.Out(BlockRig.Data, Sector), BlockRig.In(BlockRig.Status, 1)],
                [BlockRig.Out(BlockRig.Header + 16, 16), BlockRig.In(BlockRig.Status + 1, 1)]));
        Assert.Equal((2, 2), (counting.Offered, counting.Taken));
        Dictionary<string, long> counters = rig.Device.ReadCounters().ToDictionary();
        Assert.Equal((1, 1, 0), (counters["write_ops"], counters["flush_ops"], counters["errors"]));
    }

    // Offers the chains (descriptors numbered on from 0) in one pass, kicks once, and waits for
    // them all; returns each one's status and used length, in the order given.
    private static (byte Status, uint Used)[] SubmitTogether(BlockRig rig, params (ulong Address, uint Length, bool Writable)[][] chains)
    {
        ushort before = rig.Ring.UsedIdx;
        var heads = new ushort[chains.Length];
        ushort next = 0;
        for (int c = 0; c < chains.Length; c++)
        {
            heads[c] = next;
            for (int i = 0; i < chains[c].Length; i++, next++)
            {
                (ulong address, uint length, bool writable) = chains[c][i];
                bool more = i + 1 < chains[c].Length;
                rig.Ring.Descriptor(next, address, length, (ushort)((writable ? VirtqDescriptor.FlagWrite : 0) | (more ? VirtqDescriptor.FlagNext : 0)), (ushort)(next + 1));
            }
            (ulong lastAddress, uint lastLength, _) = chains[c][^1];
            rig.Fill(lastAddress + lastLength - 1, [0xee]);
        }
        foreach (ushort head in heads)
        {
            rig.Ring.Offer(head);
        }
        rig.Driver.Kick(0);
        rig.WaitForUsed((ushort)(before + chains.Length));
        Assert.Equal((ushort)(before + chains.Length), rig.Ring.UsedIdx);
        var used = new Dictionary<uint, uint>();
        for (int k = 0; k < chains.Length; k++)
        {
            VirtqUsedElement element = rig.Ring.Used((ushort)(before + k));
            used.Add(element.Id, element.Length);
        }
        return [.. chains.Select((chain, c) => (rig.Guest(chain[^1].Address + chain[^1].Length - 1, 1)[0], used[heads[c]]))];
    }

    [Fact]
    public void A_reset_waits_out_a_request_in_flight_and_then_neither_answers_it_nor_uses_its_chain()
    {
        var backend = new GatedBackend(16 * Sector);
        using var rig = new BlockRig(backend, engine: new ThreadPoolBlockIo(backend, threads: 1));
        ushort before = rig.Ring.UsedIdx;
        // Two reads, so both go to the engine: its one thread holds the first at the gate.
        for (ushort i = 0; i < 2; i++)
        {
            rig.WriteHeader(VirtioBlock.RequestIn, 2, BlockRig.Header + (16UL * i));
            rig.Ring.Descriptor((ushort)(3 * i), BlockRig.Header + (16UL * i), 16, VirtqDescriptor.FlagNext, (ushort)((3 * i) + 1));
            rig.Ring.Descriptor((ushort)((3 * i) + 1), BlockRig.Data + (0x1000UL * i), Sector, VirtqDescriptor.FlagWrite | VirtqDescriptor.FlagNext, (ushort)((3 * i) + 2));
            rig.Ring.Descriptor((ushort)((3 * i) + 2), BlockRig.Status + i, 1, VirtqDescriptor.FlagWrite);
            rig.Ring.Offer((ushort)(3 * i));
        }
        rig.Fill(BlockRig.Status, [0xee, 0xee]);
        rig.Driver.Kick(0);
        Assert.True(backend.Entered.Wait(TimeSpan.FromSeconds(30)));
        Assert.Equal(2, rig.Device.RequestsInFlight);
        Assert.True(rig.Device.WantsHostEvent(0));

        var reset = new Thread(() => rig.Driver.Status = 0);
        reset.Start();
        Assert.False(reset.Join(TimeSpan.FromMilliseconds(300)), "the reset returned while the read was still moving guest memory");
        backend.Gate.Set();
        Assert.True(reset.Join(TimeSpan.FromSeconds(30)));

        Assert.Equal(0, rig.Device.RequestsInFlight);
        Assert.False(rig.Device.WantsHostEvent(0));
        Assert.Equal(before, rig.Ring.UsedIdx);
        Assert.Equal(new byte[] { 0xee, 0xee }, rig.Guest(BlockRig.Status, 2));
    }

    [Fact]
    public void A_request_the_backend_fails_in_the_engine_is_an_io_error_for_it_alone()
    {
        var backend = new GatedBackend(16 * Sector);
        backend.Gate.Set();
        using var rig = new BlockRig(backend, engine: new ThreadPoolBlockIo(backend, threads: 2));
        rig.WriteHeader(VirtioBlock.RequestIn, 1, BlockRig.Header);
        rig.WriteHeader(VirtioBlock.RequestIn, 2, BlockRig.Header + 16);
        (ulong, uint, bool)[] first = [BlockRig.Out(BlockRig.Header, 16), BlockRig.In(BlockRig.Data, Sector), BlockRig.In(BlockRig.Status, 1)];
        (ulong, uint, bool)[] second = [BlockRig.Out(BlockRig.Header + 16, 16), BlockRig.In(BlockRig.Data + 0x1000, Sector), BlockRig.In(BlockRig.Status + 1, 1)];

        backend.FailReads = true;
        Assert.Equal([(VirtioBlock.StatusIoError, 1U), (VirtioBlock.StatusIoError, 1U)], SubmitTogether(rig, first, second));
        backend.FailReads = false;
        Assert.Equal([(VirtioBlock.StatusOk, Sector + 1U), (VirtioBlock.StatusOk, Sector + 1U)], SubmitTogether(rig, first, second));
        Dictionary<string, long> counters = rig.Device.ReadCounters().ToDictionary();
        Assert.Equal((2, 2), (counters["errors"], counters["read_ops"]));
    }

    [IoUringFact]
    public void A_read_of_an_image_cut_short_under_the_disk_comes_back_short_and_fails_as_the_synchronous_path_does()
    {
        using var image = new TempImage(16 * Sector);
        using var backend = new RawFileBackend(image.Path);
        using var rig = new BlockRig(backend, engine: new UringBlockIo(backend));
        // Another program (one that takes no lock) truncates the image to 9 sectors: the disk still says 16.
        using (var truncate = System.Diagnostics.Process.Start("truncate", ["-s", (9 * Sector).ToString(System.Globalization.CultureInfo.InvariantCulture), image.Path]))
        {
            truncate.WaitForExit();
            Assert.Equal(0, truncate.ExitCode);
        }

        // Sectors 8-9 now end inside the file, 7-8 do not.
        rig.WriteHeader(VirtioBlock.RequestIn, 8, BlockRig.Header);
        rig.WriteHeader(VirtioBlock.RequestIn, 7, BlockRig.Header + 16);
        (byte, uint)[] results = SubmitTogether(rig,
            [BlockRig.Out(BlockRig.Header, 16), BlockRig.In(BlockRig.Data, 2 * Sector), BlockRig.In(BlockRig.Status, 1)],
            [BlockRig.Out(BlockRig.Header + 16, 16), BlockRig.In(BlockRig.Data + 0x1000, 2 * Sector), BlockRig.In(BlockRig.Status + 1, 1)]);

        Assert.Equal([(VirtioBlock.StatusIoError, 1U), (VirtioBlock.StatusOk, 2U * Sector + 1)], results);
        Assert.Equal(image.Original.AsSpan(7 * Sector, 2 * Sector).ToArray(), rig.Guest(BlockRig.Data + 0x1000, 2 * Sector));
    }

    [IoUringFact]
    public void A_direct_image_s_unaligned_request_is_refused_by_io_uring_and_served_in_place()
    {
        using var image = new TempImage(64 * 4096);
        RawFileBackend backend;
        try
        {
            backend = new RawFileBackend(image.Path, direct: true);
        }
        catch (DirectIoUnsupportedException e)
        {
            Assert.Fail($"the temporary directory's file system must take O_DIRECT for this test: {e.Message}");
            return;
        }
        using (backend)
        using (var engine = new UringBlockIo(backend))
        {
            Assert.False(engine.TrySubmit(false, 100, [new IoSegment(0x1000, 4096)], 0));
            using var counting = new CountingEngine(new UringBlockIo(backend));
            using var rig = new BlockRig(backend, engine: counting);
            // 100 bytes into a buffer: not aligned for O_DIRECT.
            rig.WriteHeader(VirtioBlock.RequestIn, 8);
            Assert.Equal((VirtioBlock.StatusOk, 4096U + 1), rig.Submit(BlockRig.Out(BlockRig.Header, 16), BlockRig.In(BlockRig.Data + 100, 4096), BlockRig.In(BlockRig.Status, 1)));
            Assert.Equal(image.Original.AsSpan(8 * Sector, 4096).ToArray(), rig.Guest(BlockRig.Data + 100, 4096));
            // Two at once, one aligned (through the ring) and one not (in place).
            rig.WriteHeader(VirtioBlock.RequestIn, 16, BlockRig.Header);
            rig.WriteHeader(VirtioBlock.RequestIn, 24, BlockRig.Header + 16);
            Assert.Equal(
                [(VirtioBlock.StatusOk, 4096U + 1), (VirtioBlock.StatusOk, 4096U + 1)],
                SubmitTogether(rig,
                    [BlockRig.Out(BlockRig.Header, 16), BlockRig.In(BlockRig.Data, 4096), BlockRig.In(BlockRig.Status, 1)],
                    [BlockRig.Out(BlockRig.Header + 16, 16), BlockRig.In(BlockRig.Data + 0x2000 + 100, 4096), BlockRig.In(BlockRig.Status + 1, 1)]));
            Assert.Equal(image.Original.AsSpan(16 * Sector, 4096).ToArray(), rig.Guest(BlockRig.Data, 4096));
            Assert.Equal(image.Original.AsSpan(24 * Sector, 4096).ToArray(), rig.Guest(BlockRig.Data + 0x2000 + 100, 4096));
            Assert.Equal((2, 1), (counting.Offered, counting.Taken));
        }
    }

    private static IBlockIoEngine Engine(string name, RawFileBackend backend) => name switch
    {
        "uring" => new UringBlockIo(backend),
        "threads" => new ThreadPoolBlockIo(backend),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    // An engine that counts what it was offered and what it took.
    private sealed class CountingEngine(IBlockIoEngine inner) : IBlockIoEngine
    {
        public int Offered { get; private set; }

        public int Taken { get; private set; }

        public string Name => inner.Name;

        public SafeFd CompletionSource => inner.CompletionSource;

        public bool TrySubmit(bool write, long offset, ReadOnlySpan<IoSegment> segments, ulong tag)
        {
            Offered++;
            bool taken = inner.TrySubmit(write, offset, segments, tag);
            Taken += taken ? 1 : 0;
            return taken;
        }

        public bool TrySubmitFlush(ulong tag)
        {
            Offered++;
            bool taken = inner.TrySubmitFlush(tag);
            Taken += taken ? 1 : 0;
            return taken;
        }

        public void Submit() => inner.Submit();

        public int Reap(Span<IoCompletion> completions) => inner.Reap(completions);

        public void WaitForCompletion() => inner.WaitForCompletion();

        public void Dispose() => inner.Dispose();
    }

    // A disk whose reads wait at a gate (and can be told to fail), to hold a request in the engine.
    private sealed class GatedBackend(int size) : IBlockBackend
    {
        private readonly MemoryBlockBackend _inner = new(size);

        public ManualResetEventSlim Gate { get; } = new();

        public ManualResetEventSlim Entered { get; } = new();

        public volatile bool FailReads;

        public long Size => _inner.Size;

        public bool ReadOnly => false;

        public void ReadAt(long offset, Span<byte> data)
        {
            Entered.Set();
            Gate.Wait();
            if (FailReads)
            {
                throw new IOException("the disk failed (test)");
            }
            _inner.ReadAt(offset, data);
        }

        public void WriteAt(long offset, ReadOnlySpan<byte> data) => _inner.WriteAt(offset, data);

        public void Flush() => _inner.Flush();

        public void Discard(long offset, long length) => _inner.Discard(offset, length);

        public void WriteZeroes(long offset, long length, bool unmap) => _inner.WriteZeroes(offset, length, unmap);
    }
}
