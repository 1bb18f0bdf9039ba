using Vireo.Loader.Fuzz;

namespace Vireo.Loader.Tests;

/// <summary>The bzimage fuzz target (tests/Vireo.Loader.Fuzz, run under afl-fuzz by
/// tools/fuzz/loader.sh) over every committed corpus file; inputs afl found failing stay in the
/// corpus as regressions.</summary>
public sealed class FuzzCorpusTests
{
    private static string Directory => Path.Combine(AppContext.BaseDirectory, "corpus", "bzimage");

    public static TheoryData<string> Inputs => [.. Files()];

    [Theory(Timeout = 60_000)]
    [MemberData(nameof(Inputs))]
    public Task Each_corpus_input_is_loaded_with_its_invariants_or_refused_as_a_bad_image(string name)
        => Task.Run(() => BzImageTarget.Run(File.ReadAllBytes(Path.Combine(Directory, name))));

    [Fact]
    public void Every_seed_is_loaded_or_refused_as_its_name_says()
    {
        // The seeds are where afl starts: the loadable ones must load (so the fuzzer begins from
        // images that reach the placement code), the others must be refused.
        foreach (BzImageSeed seed in BzImageSeeds.All())
        {
            Assert.Equal(seed.Loads ? BzImageOutcome.Loaded : BzImageOutcome.Refused, BzImageTarget.Run(seed.Bytes));
            Assert.True(File.Exists(Path.Combine(Directory, seed.Name)), $"{seed.Name} is not in the committed corpus (write-seeds)");
        }
    }

    [Fact(Timeout = 120_000)]
    public Task Random_mutations_of_the_seeds_are_loaded_or_refused_never_thrown() => Task.Run(() =>
    {
        // A deterministic stand-in for afl between fuzz runs: choice and header bytes replaced.
        var random = new Random(1717);
        BzImageSeed[] seeds = [.. BzImageSeeds.All()];
        int loaded = 0;
        for (int i = 0; i < 3000; i++)
        {
            byte[] input = (byte[])seeds[i % seeds.Length].Bytes.Clone();
            for (int n = random.Next(1, 6); n > 0; n--)
            {
                // Mostly the choices and the setup header (0x1f1-0x268 of the file), sometimes anywhere.
                int at = random.Next(3) switch
                {
                    0 => random.Next(BzImageTarget.ChoiceBytes),
                    1 => random.Next(input.Length),
                    _ => BzImageTarget.ChoiceBytes + random.Next(0x1f1, 0x268),
                };
                input[at] = (byte)random.Next(256);
            }
            if (BzImageTarget.Run(input) == BzImageOutcome.Loaded)
            {
                loaded++;
            }
        }
        Assert.True(loaded > 300, $"only {loaded} of 3000 mutations loaded: they hardly reach the placement code");
    });

    private static string[] Files() =>
        [.. System.IO.Directory.GetFiles(Directory, "*.bin").Select(Path.GetFileName).Order()!];
}
