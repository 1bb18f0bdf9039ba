using Vireo.Virtio.Fuzz;

namespace Vireo.Virtio.Tests;

/// <summary>The virtqueue fuzz target (tests/Vireo.Virtio.Fuzz, run under afl-fuzz by
/// tools/fuzz/virtio.sh) over every committed corpus file; inputs afl found failing stay in the
/// corpus as regressions.</summary>
public sealed class FuzzCorpusTests
{
    private static string Directory => Path.Combine(AppContext.BaseDirectory, "corpus", "virtqueue");

    public static TheoryData<string> Inputs => [.. Files()];

    [Theory(Timeout = 60_000)]
    [MemberData(nameof(Inputs))]
    public Task Each_corpus_input_is_served_or_refused_as_a_ring_error(string name)
        => Task.Run(() => VirtqueueTarget.Run(File.ReadAllBytes(Path.Combine(Directory, name))));

    [Fact]
    public void Every_seed_is_a_request_its_device_serves_in_full()
    {
        // The seeds are where afl starts: each must be a working ring, or the fuzzer begins
        // from refusals. One chain each, so the device's used idx reaches 1.
        foreach ((string name, byte[] bytes) in VirtqueueSeeds.All())
        {
            Assert.True(VirtqueueTarget.Run(bytes) == 1, $"{name}: the device did not serve its one chain");
            Assert.True(File.Exists(Path.Combine(Directory, name)), $"{name} is not in the committed corpus (write-seeds)");
        }
    }

    [Fact(Timeout = 60_000)]
    public Task Random_mutations_of_the_seeds_are_served_or_refused_never_thrown() => Task.Run(() =>
    {
        // A deterministic stand-in for afl between fuzz runs: bytes of the seeds replaced, the
        // rings' and the buffers' alike.
        var random = new Random(4321);
        byte[][] seeds = [.. VirtqueueSeeds.All().Select(s => s.Bytes)];
        for (int i = 0; i < 3000; i++)
        {
            byte[] input = (byte[])seeds[i % seeds.Length].Clone();
            for (int n = random.Next(1, 12); n > 0; n--)
            {
                // Mostly in the rings (the first 0x200 bytes of RAM), sometimes anywhere.
                int at = random.Next(4) == 0 ? random.Next(input.Length) : random.Next(3, 3 + 0x200);
                input[at] = (byte)random.Next(256);
            }
            VirtqueueTarget.Run(input);
        }
    });

    private static string[] Files() =>
        [.. System.IO.Directory.GetFiles(Directory, "*.bin").Select(Path.GetFileName).Order()!];
}
