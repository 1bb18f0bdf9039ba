using System.Text;
using Vireo.Api.Fuzz;

namespace Vireo.Api.Tests;

/// <summary>The http fuzz target (tests/Vireo.Api.Fuzz, run under afl-fuzz by tools/fuzz/api.sh)
/// over every committed corpus file; inputs afl found failing stay in the corpus as
/// regressions.</summary>
public sealed class FuzzCorpusTests
{
    // Bytes that shape HTTP and JSON, mixed in as a dictionary would.
    private static readonly byte[] Structure = "\r\n :{}\"0;-"u8.ToArray();

    private static string Directory => Path.Combine(AppContext.BaseDirectory, "corpus", "http");

    public static TheoryData<string> Inputs => [.. Files()];

    [Theory(Timeout = 60_000)]
    [MemberData(nameof(Inputs))]
    public Task Each_corpus_input_is_answered_in_well_formed_http_without_a_5xx(string name)
        => Task.Run(() => HttpTarget.Run(File.ReadAllBytes(Path.Combine(Directory, name))));

    [Fact(Timeout = 60_000)]
    public Task Every_seed_gets_its_answers_and_reaches_the_vm_as_intended() => Task.Run(() =>
    {
        // The seeds are where afl starts: each valid one must be served (its 2xx, its call on
        // the VM), each refusal refused with its own 4xx, or the fuzzer begins from the wrong branch.
        foreach (HttpSeed seed in HttpSeeds.All())
        {
            HttpRun run = HttpTarget.Run(seed.Bytes);
            Assert.True(seed.Statuses.SequenceEqual(run.Statuses), $"{seed.Name}: answers [{string.Join(", ", run.Statuses)}], expected [{string.Join(", ", seed.Statuses)}]");
            Assert.True(seed.Calls.SequenceEqual(run.Calls), $"{seed.Name}: VM calls [{string.Join(", ", run.Calls)}], expected [{string.Join(", ", seed.Calls)}]");
            Assert.True(File.Exists(Path.Combine(Directory, seed.Name)), $"{seed.Name} is not in the committed corpus (write-seeds)");
        }
    });

    [Fact]
    public void Every_route_the_server_maps_has_a_seed_that_it_serves()
    {
        // A route added without a seed would be fuzzed only by luck.
        var served = HttpSeeds.All().Where(s => s.Statuses.All(status => status < 300))
            .Select(s => Encoding.Latin1.GetString(s.Bytes, 1, s.Bytes.Length - 1))
            .ToArray();
        var router = ApiServer.CreateRouter(new RecordingVmm(), new ApiServerOptions(), CancellationToken.None);
        foreach (var route in router.Routes)
        {
            Assert.Contains(served, request => request.Contains($"{route.Method} {route.Path} HTTP/", StringComparison.Ordinal));
        }
    }

    [Fact(Timeout = 120_000)]
    public Task Random_mutations_of_the_seeds_are_answered_never_thrown() => Task.Run(() =>
    {
        // A deterministic stand-in for afl between fuzz runs: bytes replaced, inserted, dropped.
        var random = new Random(2468);
        HttpSeed[] seeds = [.. HttpSeeds.All()];
        int served = 0;
        for (int i = 0; i < 3000; i++)
        {
            List<byte> input = [.. seeds[i % seeds.Length].Bytes];
            for (int n = random.Next(1, 5); n > 0; n--)
            {
                int at = 1 + random.Next(input.Count - 1);
                byte b = random.Next(4) == 0 ? Structure[random.Next(Structure.Length)] : (byte)random.Next(256);
                switch (random.Next(3))
                {
                    case 0:
                        input[at] = b;
                        break;
                    case 1:
                        input.Insert(at, b);
                        break;
                    default:
                        input.RemoveAt(at);
                        break;
                }
            }
            if (HttpTarget.Run([.. input]).Statuses.Any(status => status < 300))
            {
                served++;
            }
        }
        Assert.True(served > 300, $"only {served} of 3000 mutations were served: they hardly reach the endpoints");
    });

    private static string[] Files() =>
        [.. System.IO.Directory.GetFiles(Directory, "*.bin").Select(Path.GetFileName).Order()!];
}
