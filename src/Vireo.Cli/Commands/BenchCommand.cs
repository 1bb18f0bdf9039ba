using System.Globalization;
using System.Text.Json;
using Vireo.Kvm;
using Vireo.Vmm;

namespace Vireo.Cli;

/// <summary>`vireo bench exits [--count N] [--json]`.</summary>
internal static class BenchCommand
{
    private const string Help = """
        Usage: vireo bench exits [--count N] [--coalesced] [--json]

        Runs a tiny 64-bit guest that executes N `out` instructions (default 200000) to a
        port owned by a device on Vireo's port-I/O bus, then HLT, and reports the cost of
        one exit (guest -> KVM -> Vireo's vCPU loop -> bus -> device -> guest). The same
        guest run from C (tools/bench/exit-loop.c) gives KVM's own cost for comparison:
        tools/bench/exits.sh prints both and their ratio.

          --count N   Number of port writes (1 to 4294967295).
          --coalesced Let KVM queue the port's writes without exiting, as Vireo does for
                      the console's transmit register (KVM_CAP_COALESCED_PIO), and
                      report the cost of one such write.
          --json      Print one JSON object instead of text.
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length == 0 || args[0] is "--help" or "-h")
        {
            await stdout.WriteLineAsync(Help);
            return args.Length == 0 ? 2 : 0;
        }
        if (args[0] != "exits")
        {
            throw new UsageException($"bench: unknown benchmark '{args[0]}'; the benchmarks are: exits");
        }
        var reader = new ArgReader("bench exits", args[1..]);
        if (reader.Flag("--help") || reader.Flag("-h"))
        {
            await stdout.WriteLineAsync(Help);
            return 0;
        }
        uint count = reader.UInt("--count", 200_000, 1, uint.MaxValue);
        bool coalesced = reader.Flag("--coalesced");
        bool json = reader.Flag("--json");
        reader.Done();

        using KvmSystem kvm = HostKvm.Open();
        if (!json)
        {
            await stderr.WriteLineAsync($"running {count} {(coalesced ? "coalesced port writes" : "port-I/O exits")} on {kvm.Backend} KVM...");
        }
        ExitBenchmarkResult result = ExitBenchmark.Run(kvm, count, coalesced);
        if (json)
        {
            using var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStartObject();
                w.WriteNumber("exits", result.Exits);
                w.WriteNumber("seconds", Math.Round(result.Seconds, 6));
                w.WriteNumber("usPerExit", Math.Round(result.MicrosecondsPerExit, 3));
                w.WriteNumber("exitsPerSecond", Math.Round(result.ExitsPerSecond));
                w.WriteBoolean("coalesced", coalesced);
                w.WriteNumber("vcpuExits", result.VcpuExits);
                w.WriteString("backend", kvm.Backend.ToString().ToLowerInvariant());
                w.WriteEndObject();
            }
            await stdout.WriteLineAsync(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
        }
        else
        {
            await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"{result.Exits} {(coalesced ? "coalesced writes" : "exits")} in {result.Seconds:F3} s: {result.MicrosecondsPerExit:F3} µs each, {result.ExitsPerSecond:F0}/s ({result.VcpuExits} vCPU exits)"));
        }
        return 0;
    }
}
