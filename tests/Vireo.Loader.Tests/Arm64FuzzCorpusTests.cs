using Vireo.Loader.Fuzz;

namespace Vireo.Loader.Tests;

/// <summary>The arm64image fuzz target (tests/Vireo.Loader.Fuzz, run under afl-fuzz by
/// tools/fuzz/loader.sh) over every committed corpus file, its seeds, and mutations of them.</summary>
public sealed class Arm64FuzzCorpusTests
{
    private static string Directory => Path.Combine(AppContext.BaseDirectory, "corpus", "arm64image");

    public static TheoryData<string> Inputs => [.. System.IO.Directory.GetFiles(Directory, "*.bin").Select(f => Path.GetFileName(f)).Order()];

    [Theory(Timeout = 60_000)]
    [MemberData(nameof(Inputs))]
    public Task Each_corpus_input_is_loaded_with_its_invariants_or_refused_as_a_bad_image(string name)
        => Task.Run(() => Arm64ImageTarget.Run(File.ReadAllBytes(Path.Combine(Directory, name))));

    [Fact]
    public void Every_seed_is_loaded_or_refused_as_its_name_says()
    {
        foreach (Arm64ImageSeed seed in Arm64ImageSeeds.All())
        {
            Assert.Equal(seed.Loads ? Arm64ImageOutcome.Loaded : Arm64ImageOutcome.Refused, Arm64ImageTarget.Run(seed.Bytes));
            Assert.True(File.Exists(Path.Combine(Directory, seed.Name)), $"{seed.Name} is not in the committed corpus (write-seeds DIR arm64image)");
        }
    }

    [Fact(Timeout = 120_000)]
    public Task Random_mutations_of_the_seeds_are_loaded_or_refused_never_thrown() => Task.Run(() =>
    {
        var random = new Random(6464);
        Arm64ImageSeed[] seeds = [.. Arm64ImageSeeds.All()];
        int loaded = 0;
        for (int i = 0; i < 3000; i++)
        {
            byte[] input = (byte[])seeds[i % seeds.Length].Bytes.Clone();
            for (int n = random.Next(1, 5); n > 0; n--)
            {
                // Mostly the choices and the first 0x80 bytes of the file (Image or zboot header).
                int at = random.Next(3) switch
                {
                    0 => random.Next(Arm64ImageTarget.ChoiceBytes),
                    1 => random.Next(input.Length),
                    _ => Arm64ImageTarget.ChoiceBytes + random.Next(Math.Min(0x80, input.Length - Arm64ImageTarget.ChoiceBytes)),
                };
                input[at] = (byte)random.Next(256);
            }
            if (Arm64ImageTarget.Run(input) == Arm64ImageOutcome.Loaded)
            {
                loaded++;
            }
        }
        Assert.True(loaded > 300, $"only {loaded} of 3000 mutations loaded: they hardly reach the placement code");
    });
}
