using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Vireo.Cli.Common;
using Vireo.Kvm;
using Vireo.Vmm;

namespace Vireo.Cli;

/// <summary>`vireo bench exits|s2idle [--count N] [--json]`.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var bench = new VireoCommand("bench", "Measure Vireo's own costs on this host's KVM: `bench exits`, `bench s2idle`.");
        bench.Subcommands.Add(CreateExits());
        bench.Subcommands.Add(CreateS2Idle());
        CliRunner.MakeGroup(bench);
        return bench;
    }

    private static Command CreateExits()
    {
        var count = new Option<long>("--count")
        {
            HelpName = "N",
            Description = "Number of port writes, 1 to 4294967295 (default 200000).",
            CustomParser = NumberParser.Range(1, uint.MaxValue),
        };
        var coalesced = new Option<bool>("--coalesced")
        {
            Description = "Let KVM queue the port's writes without exiting, as Vireo does for the console's transmit " +
                "register (KVM_CAP_COALESCED_PIO), and report the cost of one such write.",
        };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of text." };
        var command = new VireoCommand(
            "exits",
            "Run a tiny 64-bit guest that does N port writes and report the cost per exit.",
            """
            Runs a tiny 64-bit guest that executes N `out` instructions to a port owned by a
            device on Vireo's port-I/O bus, then HLT, and reports the cost of one exit
            (guest -> KVM -> Vireo's vCPU loop -> bus -> device -> guest). The same guest run
            from C (tools/bench/exit-loop.c) gives KVM's own cost for comparison:
            tools/bench/exits.sh prints both and their ratio.
            """) { count, coalesced, json };
        command.SetAction(result => ExitsAsync(
            result.GetResult(count) is null ? 200_000 : (uint)result.GetValue(count),
            result.GetValue(coalesced),
            result.GetValue(json),
            result.InvocationConfiguration.Output,
            result.InvocationConfiguration.Error));
        return command;
    }

    private static async Task<int> ExitsAsync(uint count, bool coalesced, bool json, TextWriter stdout, TextWriter stderr)
    {
        using KvmSystem kvm = HostKvm.Open();
        if (!json)
        {
            await stderr.WriteLineAsync($"running {count} {(coalesced ? "coalesced port writes" : "port-I/O exits")} on the {KvmBackendName.Of(kvm.Backend)} KVM backend...");
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
                w.WriteString("backend", KvmBackendName.Of(kvm.Backend));
                WriteFootprint(w, "firstInstruction", result.FirstEntry);
                WriteFootprint(w, "end", result.End);
                w.WriteEndObject();
            }
            await stdout.WriteLineAsync(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
        }
        else
        {
            await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"{result.Exits} {(coalesced ? "coalesced writes" : "exits")} in {result.Seconds:F3} s: {result.MicrosecondsPerExit:F3} µs each, {result.ExitsPerSecond:F0}/s ({result.VcpuExits} vCPU exits)"));
            await stdout.WriteLineAsync($"footprint at the first guest instruction: {result.FirstEntry?.ToString() ?? "not sampled"}");
            await stdout.WriteLineAsync($"footprint at the end: {result.End?.ToString() ?? "not sampled"}");
        }
        return 0;
    }

    private static Command CreateS2Idle()
    {
        var count = new Option<long>("--count")
        {
            HelpName = "N",
            Description = "Number of suspend/resume cycles, 1 to 100000 (default 200).",
            CustomParser = NumberParser.Range(1, 100_000),
        };
        var cpus = new Option<long>("--cpus")
        {
            HelpName = "N",
            Description = $"vCPUs, 1 to {S2IdleBenchmark.MaxCpus} (default 1). The others spin in the guest, inside " +
                "KVM_RUN as a Linux guest's idle vCPUs are, so the park has to kick them out; each takes a host " +
                "core while the benchmark runs.",
            CustomParser = NumberParser.Range(1, S2IdleBenchmark.MaxCpus),
        };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of text." };
        var command = new VireoCommand(
            "s2idle",
            "Time guest suspend-to-idle: LPS0 entry trap to the host's event, and a wake to the guest's first instruction, against one plain exit.",
            """
            Times guest suspend-to-idle on Vireo's own path. A tiny 64-bit guest makes the
            LPS0 entry trap a Linux guest's _DSM makes (same code, same port), Vireo's state
            machine parks its vCPU and reports `suspended`; after 2 ms the benchmark wakes it
            (the call `vm.wake` makes), and the guest's first instruction after the trap
            writes a marker port; then the exit trap completes the cycle. Reported, in µs
            (median, p90, p99, max) over N cycles:
              - entry trap -> s2idle-enter event, and -> suspended event (vCPUs parked)
              - wake request -> the guest's first instruction after resume
            and, as the yardstick measured in the same run, one plain port-I/O exit round
            trip (2000 of them); each ratio is a median divided by the yardstick's median.
            It needs no interrupt delivery, so it runs on any KVM, PVM included. Not
            included: the API socket's transport and host hook processes.
            """) { count, cpus, json };
        command.SetAction(result => S2IdleAsync(
            result.GetResult(count) is null ? 200 : (int)result.GetValue(count),
            result.GetResult(cpus) is null ? 1 : (int)result.GetValue(cpus),
            result.GetValue(json),
            result.InvocationConfiguration.Output,
            result.InvocationConfiguration.Error));
        return command;
    }

    private static async Task<int> S2IdleAsync(int count, int cpus, bool json, TextWriter stdout, TextWriter stderr)
    {
        using KvmSystem kvm = HostKvm.Open();
        if (!json)
        {
            await stderr.WriteLineAsync($"running {count} suspend-to-idle cycles with {cpus} vCPU(s) on the {KvmBackendName.Of(kvm.Backend)} KVM backend...");
        }
        S2IdleBenchmarkResult result = S2IdleBenchmark.Run(kvm, count, cpus);
        if (json)
        {
            using var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStartObject();
                w.WriteNumber("cycles", result.Cycles);
                w.WriteNumber("cpus", cpus);
                w.WriteString("backend", KvmBackendName.Of(kvm.Backend));
                WriteSummary(w, "referenceRoundTripUs", result.ReferenceRoundTrip);
                WriteSummary(w, "entryTrapToEnterEventUs", result.EntryToEnterEvent);
                WriteSummary(w, "entryTrapToSuspendedEventUs", result.EntryToSuspendedEvent);
                WriteSummary(w, "wakeToFirstInstructionUs", result.WakeToFirstInstruction);
                w.WriteNumber("entryToSuspendedRatio", Math.Round(result.EntryToSuspendedRatio, 3));
                w.WriteNumber("wakeToFirstInstructionRatio", Math.Round(result.WakeToFirstInstructionRatio, 3));
                w.WriteEndObject();
            }
            await stdout.WriteLineAsync(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
        }
        else
        {
            await stdout.WriteLineAsync($"suspend-to-idle over {result.Cycles} cycles, {cpus} vCPU(s), on the {KvmBackendName.Of(kvm.Backend)} KVM backend (µs; ratio = median / reference median)");
            await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  {"",-46} {"median",9} {"p90",9} {"p99",9} {"max",9} {"ratio",7}"));
            await stdout.WriteLineAsync(Row($"port-I/O exit round trip (reference, {result.ReferenceRoundTrip.Count})", result.ReferenceRoundTrip, null));
            await stdout.WriteLineAsync(Row("entry trap -> s2idle-enter event", result.EntryToEnterEvent, result.EntryToEnterEvent.Median / result.ReferenceRoundTrip.Median));
            await stdout.WriteLineAsync(Row("entry trap -> suspended event (vCPUs parked)", result.EntryToSuspendedEvent, result.EntryToSuspendedRatio));
            await stdout.WriteLineAsync(Row("wake -> guest's first instruction after resume", result.WakeToFirstInstruction, result.WakeToFirstInstructionRatio));
        }
        return 0;
    }

    private static string Row(string label, LatencySummary s, double? ratio) => string.Create(CultureInfo.InvariantCulture,
        $"  {label,-46} {s.Median,9:F1} {s.P90,9:F1} {s.P99,9:F1} {s.Max,9:F1} {(ratio ?? 1).ToString("F2", CultureInfo.InvariantCulture),7}");

    /// <summary>A footprint as JSON: CPU milliseconds since the process started, and bytes.</summary>
    internal static void WriteFootprint(Utf8JsonWriter w, string name, VmmFootprint? f)
    {
        if (f is null)
        {
            w.WriteNull(name);
            return;
        }
        w.WriteStartObject(name);
        w.WriteNumber("cpuMs", Math.Round(f.Process.CpuTime.TotalMilliseconds, 3));
        w.WriteNumber("ownRssBytes", f.OwnResidentBytes);
        w.WriteNumber("rssBytes", f.Process.ResidentBytes);
        w.WriteNumber("guestResidentBytes", f.GuestResidentBytes);
        w.WriteNumber("peakRssBytes", f.Process.PeakResidentBytes);
        w.WriteEndObject();
    }

    private static void WriteSummary(Utf8JsonWriter w, string name, LatencySummary s)
    {
        w.WriteStartObject(name);
        w.WriteNumber("count", s.Count);
        w.WriteNumber("min", Math.Round(s.Min, 3));
        w.WriteNumber("median", Math.Round(s.Median, 3));
        w.WriteNumber("p90", Math.Round(s.P90, 3));
        w.WriteNumber("p99", Math.Round(s.P99, 3));
        w.WriteNumber("max", Math.Round(s.Max, 3));
        w.WriteEndObject();
    }
}
