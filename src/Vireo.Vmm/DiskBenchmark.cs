using System.Buffers.Binary;
using System.Diagnostics;
using Vireo.Memory;
using Vireo.Sys;
using Vireo.Virtio;

namespace Vireo.Vmm;

/// <summary>One measured configuration of <see cref="DiskBenchmark"/>: an engine at a queue depth
/// on a cached or direct image, as 4 KiB random reads per second (median over the rounds).</summary>
/// <param name="Engine">sync, uring or threads.</param>
/// <param name="Direct">The image was opened O_DIRECT.</param>
/// <param name="Depth">Requests the driver keeps in the queue.</param>
/// <param name="Iops">Completed requests per second.</param>
/// <param name="Ratio">Against the sync engine at the same depth and mode, in the same run (1 for sync).</param>
public sealed record DiskBenchmarkRow(string Engine, bool Direct, int Depth, double Iops, double Ratio);

/// <summary>
/// `vireo bench disk`: which way of running a virtio-blk disk's I/O is fastest on this host.
/// A driver in this process keeps D 4 KiB random reads in a virtio-blk request queue (the same
/// seeded sector sequence for everyone) and the device serves them as the machine's queue worker
/// would: each pass pops what the driver offered and completes what finished, and when requests
/// are in flight the driver sleeps in epoll on the engine's completions. The engines are the
/// synchronous path (preadv on the queue thread), io_uring and a thread pool, each against the
/// synchronous path at the same depth and mode in the same run; with <c>direct</c> the image is
/// opened O_DIRECT, so the reads reach the host's storage rather than its page cache.
/// </summary>
/// <remarks>It needs no KVM: the transport's lock and interrupt, which cost every engine the same,
/// are left out, and so is the guest.</remarks>
public static class DiskBenchmark
{
    private const ulong DescTable = 0x0;
    private const ulong AvailRing = 0x1000;
    private const ulong UsedRing = 0x2000;
    private const ulong Headers = 0x4000;
    private const ulong Statuses = 0x5000;
    private const ulong DataStart = 0x10000;
    private const int BlockSize = 4096;

    /// <summary>The engines measured, the reference first.</summary>
    public static IReadOnlyList<string> Engines { get; } = ["sync", "uring", "threads"];

    /// <summary>Runs every engine at each depth on an image of <paramref name="imageBytes"/> in
    /// <paramref name="directory"/> (made, filled and deleted here), page-cached and, where the
    /// file system takes O_DIRECT and <paramref name="direct"/> asks, direct.</summary>
    /// <param name="directory">Where the image goes; its file system is what is measured.</param>
    /// <param name="imageBytes">The image's size, a multiple of 4 KiB.</param>
    /// <param name="depths">Queue depths, 1 to 64.</param>
    /// <param name="requests">Reads per measurement.</param>
    /// <param name="rounds">Measurements per configuration after one warm-up; the median is kept.</param>
    /// <param name="direct">Also measure the image opened O_DIRECT.</param>
    /// <param name="progress">Told what is being measured.</param>
    /// <returns>The rows, and why a mode or engine was left out (null when none was).</returns>
    public static (IReadOnlyList<DiskBenchmarkRow> Rows, string? Note) Run(string directory, long imageBytes, IReadOnlyList<int> depths, int requests, int rounds, bool direct, Action<string>? progress = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(imageBytes, 1L << 20);
        ArgumentOutOfRangeException.ThrowIfLessThan(requests, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(rounds, 1);
        if (depths.Any(d => d is < 1 or > 64))
        {
            throw new ArgumentOutOfRangeException(nameof(depths), "queue depths are 1 to 64");
        }
        string path = Path.Combine(directory, $"vireo-bench-disk-{Environment.ProcessId}.img");
        var rows = new List<DiskBenchmarkRow>();
        string? note = IoUring.WhyUnavailable() is string why ? $"io_uring left out: {why}" : null;
        try
        {
            progress?.Invoke($"writing a {imageBytes >> 20} MiB image at {path}...");
            WriteImage(path, imageBytes);
            foreach (bool isDirect in direct ? [false, true] : new[] { false })
            {
                RawFileBackend backend;
                try
                {
                    backend = new RawFileBackend(path, readOnly: true, direct: isDirect);
                }
                catch (DirectIoUnsupportedException e)
                {
                    note = (note is null ? "" : note + "; ") + $"direct left out: {e.Message}";
                    continue;
                }
                using (backend)
                {
                    foreach (int depth in depths)
                    {
                        var iops = new Dictionary<string, List<double>>();
                        for (int round = 0; round <= rounds; round++)
                        {
                            foreach (string engine in Engines)
                            {
                                if (engine == "uring" && note?.Contains("io_uring", StringComparison.Ordinal) == true)
                                {
                                    continue;
                                }
                                progress?.Invoke($"{(isDirect ? "direct" : "cached")}, depth {depth}, {engine}, round {round}{(round == 0 ? " (warm-up)" : "")}");
                                double value = Measure(backend, engine, depth, requests, seed: round);
                                if (round > 0)
                                {
                                    (iops.TryGetValue(engine, out List<double>? list) ? list : iops[engine] = []).Add(value);
                                }
                            }
                        }
                        double reference = Median(iops["sync"]);
                        foreach (string engine in Engines.Where(iops.ContainsKey))
                        {
                            double median = Median(iops[engine]);
                            rows.Add(new DiskBenchmarkRow(engine, isDirect, depth, median, median / reference));
                        }
                    }
                }
            }
        }
        finally
        {
            File.Delete(path);
        }
        return (rows, note);
    }

    private static void WriteImage(string path, long bytes)
    {
        using FileStream stream = new(path, FileMode.Create, FileAccess.Write, FileShare.None);
        byte[] chunk = new byte[1 << 20];
        new Random(1).NextBytes(chunk);
        for (long done = 0; done < bytes; done += chunk.Length)
        {
            stream.Write(chunk, 0, (int)Math.Min(chunk.Length, bytes - done));
        }
        stream.Flush(flushToDisk: true);
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values.Count % 2 == 1 ? values[values.Count / 2] : (values[(values.Count / 2) - 1] + values[values.Count / 2]) / 2;
    }

    // Keeps `depth` reads in the queue until `requests` completed; returns reads per second.
    private static double Measure(RawFileBackend backend, string engineName, int depth, int requests, int seed)
    {
        IBlockIoEngine? engine = engineName switch
        {
            "sync" => null,
            "uring" => new UringBlockIo(backend),
            "threads" => new ThreadPoolBlockIo(backend),
            _ => throw new ArgumentOutOfRangeException(nameof(engineName)),
        };
        using GuestMemory memory = GuestMemory.Create((new GuestAddress(0), DataStart + (ulong)(64 * BlockSize)));
        using var device = new VirtioBlock(backend, "bench", engine);
        device.FeaturesNegotiated(VirtioBlock.FeatureFlush);
        var queue = new SplitVirtqueue(memory, VirtioBlock.QueueSize, new GuestAddress(DescTable), new GuestAddress(AvailRing), new GuestAddress(UsedRing), eventIdx: false, indirect: false);
        using Epoll epoll = Epoll.Create();
        if (engine is not null)
        {
            epoll.Add(engine.CompletionSource, 0);
        }
        var random = new Random(seed);
        long blocks = backend.Size / BlockSize;
        ushort availIdx = 0;
        ushort usedSeen = 0;
        int offered = 0;
        int completed = 0;

        void Offer(int slot)
        {
            ulong header = Headers + (16UL * (ulong)slot);
            Span<byte> bytes = stackalloc byte[16];
            BinaryPrimitives.WriteUInt32LittleEndian(bytes, VirtioBlock.RequestIn);
            BinaryPrimitives.WriteUInt64LittleEndian(bytes[8..], (ulong)random.NextInt64(blocks) * (BlockSize / VirtioBlock.SectorSize));
            memory.Write(new GuestAddress(header), bytes);
            ushort head = (ushort)(3 * slot);
            memory.Write(new GuestAddress(DescTable + (16UL * head)), new VirtqDescriptor { Address = header, Length = 16, Flags = VirtqDescriptor.FlagNext, Next = (ushort)(head + 1) });
            memory.Write(new GuestAddress(DescTable + (16UL * (ulong)(head + 1))), new VirtqDescriptor { Address = DataStart + (ulong)(slot * BlockSize), Length = BlockSize, Flags = VirtqDescriptor.FlagWrite | VirtqDescriptor.FlagNext, Next = (ushort)(head + 2) });
            memory.Write(new GuestAddress(DescTable + (16UL * (ulong)(head + 2))), new VirtqDescriptor { Address = Statuses + (ulong)slot, Length = 1, Flags = VirtqDescriptor.FlagWrite });
            memory.Write(new GuestAddress(AvailRing + 4 + (2UL * (ushort)(availIdx % VirtioBlock.QueueSize))), head);
            availIdx++;
            offered++;
        }

        Span<ulong> ready = stackalloc ulong[1];
        var clock = Stopwatch.StartNew();
        for (int slot = 0; slot < depth; slot++)
        {
            Offer(slot);
        }
        memory.Write(new GuestAddress(AvailRing + 2), availIdx);
        device.ProcessQueue(0, queue, memory);
        while (completed < requests)
        {
            ushort usedIdx = memory.Read<ushort>(new GuestAddress(UsedRing + 2));
            bool reoffered = false;
            for (; usedSeen != usedIdx; usedSeen++)
            {
                VirtqUsedElement used = memory.Read<VirtqUsedElement>(new GuestAddress(UsedRing + 4 + (8UL * (ushort)(usedSeen % VirtioBlock.QueueSize))));
                int slot = (int)used.Id / 3;
                if (memory.Read<byte>(new GuestAddress(Statuses + (ulong)slot)) != VirtioBlock.StatusOk)
                {
                    throw new IOException($"the {engineName} engine failed a read: status {memory.Read<byte>(new GuestAddress(Statuses + (ulong)slot))}");
                }
                completed++;
                if (offered < requests)
                {
                    Offer(slot);
                    reoffered = true;
                }
            }
            if (reoffered)
            {
                memory.Write(new GuestAddress(AvailRing + 2), availIdx);
            }
            else if (device.RequestsInFlight > 0 && epoll.Wait(ready, TimeSpan.FromSeconds(30)) == 0)
            {
                throw new TimeoutException($"the {engineName} engine completed nothing in 30 s");
            }
            device.ProcessQueue(0, queue, memory);
        }
        return completed / clock.Elapsed.TotalSeconds;
    }
}
