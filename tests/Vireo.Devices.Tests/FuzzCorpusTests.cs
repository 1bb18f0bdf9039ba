using Vireo.Devices.Fuzz;

namespace Vireo.Devices.Tests;

/// <summary>The bus fuzz target (tests/Vireo.Devices.Fuzz, run under afl-fuzz by
/// tools/fuzz/devices.sh) over every committed corpus file; inputs afl found failing stay in the
/// corpus as regressions.</summary>
public sealed class FuzzCorpusTests
{
    private static string Directory => Path.Combine(AppContext.BaseDirectory, "corpus", "bus");

    public static TheoryData<string> Inputs => [.. Files()];

    [Theory(Timeout = 60_000)]
    [MemberData(nameof(Inputs))]
    public Task Each_corpus_input_runs_without_a_throw_or_a_broken_invariant(string name)
        => Task.Run(() => BusTarget.Run(File.ReadAllBytes(Path.Combine(Directory, name))));

    [Fact]
    public void Every_seed_reaches_its_device_and_does_what_it_is_for()
    {
        // The seeds are where afl starts: each must drive its device through the buses, or the
        // fuzzer begins from accesses nobody handles.
        foreach (BusSeed seed in BusSeeds.All())
        {
            Assert.True(File.Exists(Path.Combine(Directory, seed.Name)), $"{seed.Name} is not in the committed corpus (write-seeds)");
            Assert.Equal(seed.Bytes, File.ReadAllBytes(Path.Combine(Directory, seed.Name)));
            BusRunResult result = BusTarget.Run(seed.Bytes, countByDevice: true);
            Assert.True(result.ByDevice.GetValueOrDefault(seed.Device) > 0, $"{seed.Name}: no access reached {seed.Device}; reached {string.Join(", ", result.ByDevice.Keys)}");
            Assert.True(seed.Reached(result), $"{seed.Name}: expected {seed.Effect}; got {result}");
        }
    }

    [Fact]
    public void Every_device_on_the_buses_is_reached_by_some_seed()
    {
        // A device no seed touches is one afl must find by chance.
        var reached = new HashSet<string>();
        foreach (BusSeed seed in BusSeeds.All())
        {
            reached.UnionWith(BusTarget.Run(seed.Bytes, countByDevice: true).ByDevice.Keys);
        }
        // The seeds' own machine (BusInputBuilder's defaults) with slot power, so the names match.
        using var builder = new BusInputBuilder(flags: BusShape.WithSlotPower);
        string[] devices = [.. builder.Machine.Pio.Devices.Select(d => d.Name), .. builder.Machine.Mmio.Devices.Select(d => d.Name)];
        string[] missed = [.. devices.Where(d => !reached.Contains(d))];
        Assert.True(missed.Length == 0, $"no seed reaches {string.Join(", ", missed)}");
    }

    [Fact(Timeout = 120_000)]
    public Task Random_mutations_of_the_seeds_never_throw() => Task.Run(() =>
    {
        // A deterministic stand-in for afl between fuzz runs: bytes of the seeds replaced,
        // inserted and cut, the header's too.
        var random = new Random(1717);
        byte[][] seeds = [.. BusSeeds.All().Select(s => s.Bytes)];
        for (int i = 0; i < 3000; i++)
        {
            List<byte> input = [.. seeds[i % seeds.Length]];
            for (int n = random.Next(1, 10); n > 0; n--)
            {
                int at = random.Next(input.Count);
                switch (random.Next(4))
                {
                    case 0:
                        input.Insert(at, (byte)random.Next(256));
                        break;
                    case 1 when input.Count > BusShape.Length + 1:
                        input.RemoveAt(at);
                        break;
                    default:
                        input[at] = (byte)random.Next(256);
                        break;
                }
            }
            BusTarget.Run([.. input]);
        }
    });

    private static string[] Files() =>
        [.. System.IO.Directory.GetFiles(Directory, "*.bin").Select(Path.GetFileName).Order()!];
}
