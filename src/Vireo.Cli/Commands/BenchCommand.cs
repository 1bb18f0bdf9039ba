using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Vireo.Api;
using Vireo.Cli.Common;
using Vireo.Kvm;
using Vireo.SampleDevice;
using Vireo.VfioUser;
using Vireo.Vmm;

namespace Vireo.Cli;

/// <summary>`vireo bench exits|s2idle|pci|device-events|storm|disk ... [--json]`.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var bench = new VireoCommand("bench", "Measure Vireo's own costs on this host's KVM: `bench exits`, `bench s2idle`, `bench pci`, `bench device-events`, `bench storm`; and its disk engines on this host's storage: `bench disk`.");
        bench.Subcommands.Add(CreateExits());
        bench.Subcommands.Add(CreateS2Idle());
        bench.Subcommands.Add(CreatePci());
        bench.Subcommands.Add(CreateDeviceEvents());
        bench.Subcommands.Add(CreateStorm());
        bench.Subcommands.Add(CreateDisk());
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
              - wake request -> the guest's first instruction after resume, and its steps:
                the wake taken (by the control loop, or by the waker when the loop
                armed that), vCPU 0's park released, its thread awake, KVM_RUN
                called, the guest's marker exit
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
                w.WriteStartObject("wakeStepsUs");
                foreach ((string name, string _, LatencySummary step) in WakeSteps(result.WakeSteps))
                {
                    WriteSummary(w, name, step);
                }
                w.WriteEndObject();
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
            foreach ((string _, string label, LatencySummary step) in WakeSteps(result.WakeSteps))
            {
                await stdout.WriteLineAsync(Row($"  {label}", step, step.Median / result.ReferenceRoundTrip.Median));
            }
        }
        return 0;
    }

    private static Command CreatePci()
    {
        var count = new Option<long>("--count")
        {
            HelpName = "N",
            Description = "Trapped BAR reads per round, 1 to 1000000 (default 2000); the writes and DMAs scale with it.",
            CustomParser = NumberParser.Range(1, 1_000_000),
        };
        var rounds = new Option<long>("--rounds")
        {
            HelpName = "R",
            Description = "Measured rounds after one warm-up, 1 to 100 (default 5); each figure is the median.",
            CustomParser = NumberParser.Range(1, 100),
        };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of text." };
        var command = new VireoCommand(
            "pci",
            "Time a vfio-user PCI device's trapped BAR reads, mapped BAR writes and DMA, each against a reference in the same run.",
            """
            Serves Vireo's sample accelerator (vireo-device's) over vfio-user on a thread of
            this process, assigns it to a tiny 64-bit guest through Vireo's PCI proxy and
            measures, in µs per operation (median over the rounds) with a ratio to a reference
            measured in the same run:
              - trapped BAR read: the guest reads BAR0's ID register N times (MMIO exit ->
                proxy -> REGION_READ -> server -> reply), against N reads of a trivial device
                on the same MMIO bus (a plain MMIO exit)
              - mapped BAR write: 32-bit guest writes into BAR2's buffer, which Vireo maps into
                the guest (no exit), against the same writes to guest RAM (ratio ~1)
              - DMA: Vireo, as a driver would, programs a 64 KiB guest RAM -> device buffer DMA
                through the proxy's BAR0 path and polls COMPLETED; the device reads guest RAM
                through the shared mapping. Against a memcpy of the same bytes in this
                process, as throughput (MB/s) and its fraction of memcpy's.
            It needs no interrupt delivery, so it runs on any KVM, PVM included.
            """) { count, rounds, json };
        command.SetAction(result => PciAsync(
            result.GetResult(count) is null ? 2000 : (int)result.GetValue(count),
            result.GetResult(rounds) is null ? 5 : (int)result.GetValue(rounds),
            result.GetValue(json),
            result.InvocationConfiguration.Output,
            result.InvocationConfiguration.Error));
        return command;
    }

    private static Command CreateDisk()
    {
        var requests = new Option<long>("--count")
        {
            HelpName = "N",
            Description = "Reads per measurement, 100 to 10000000 (default 20000).",
            CustomParser = NumberParser.Range(100, 10_000_000),
        };
        var rounds = new Option<long>("--rounds")
        {
            HelpName = "R",
            Description = "Measured rounds after one warm-up, 1 to 100 (default 3); each figure is the median.",
            CustomParser = NumberParser.Range(1, 100),
        };
        var directory = new Option<string>("--dir")
        {
            HelpName = "DIR",
            Description = "Where the scratch image goes: the file system measured (default: the temporary directory).",
        };
        var size = new Option<string>("--size")
        {
            HelpName = "SIZE",
            Description = "The scratch image's size, e.g. 256M or 2G (default 256M); larger than the page cache to measure the storage itself.",
        };
        var noDirect = new Option<bool>("--no-direct") { Description = "Measure the page-cached image only, not O_DIRECT." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of text." };
        var command = new VireoCommand(
            "disk",
            "Time virtio-blk's I/O engines (sync, io_uring, a thread pool) on this host's storage, each against sync in the same run.",
            """
            Fills a scratch image, then keeps D 4 KiB random reads (D = 1 and 32) in an in-process
            virtio-blk request queue and serves it as Vireo's queue worker does, with each engine
            `--disk ...,io=` takes:
              - sync: preadv on the queue's thread, one request after another
              - uring: every request of a queue pass goes to an io_uring in one io_uring_enter;
                the queue thread sleeps in epoll on the ring
              - threads: a pool of 4 threads doing preadv, results through an eventfd
            on the page-cached image and (unless --no-direct, and where the file system takes
            it) on the image opened O_DIRECT. Prints reads per second (median of the rounds) and
            the ratio to sync at the same depth. It needs no KVM.
            """) { requests, rounds, directory, size, noDirect, json };
        command.SetAction(result => DiskAsync(
            result.GetResult(requests) is null ? 20_000 : (int)result.GetValue(requests),
            result.GetResult(rounds) is null ? 3 : (int)result.GetValue(rounds),
            result.GetValue(directory) ?? Path.GetTempPath(),
            result.GetValue(size),
            !result.GetValue(noDirect),
            result.GetValue(json),
            result.InvocationConfiguration.Output,
            result.InvocationConfiguration.Error));
        return command;
    }

    private static async Task<int> DiskAsync(int requests, int rounds, string directory, string? sizeText, bool direct, bool json, TextWriter stdout, TextWriter stderr)
    {
        long size = 256L << 20;
        if (sizeText is not null)
        {
            if (!SizeParser.TryParse(sizeText, out ulong parsed) || parsed < (1UL << 20) || parsed % 4096 != 0 || parsed > (1UL << 40))
            {
                await stderr.WriteLineAsync($"vireo: --size takes a size from 1M to 1T in whole 4 KiB blocks (e.g. 256M, 2G), not '{sizeText}'");
                return 1;
            }
            size = (long)parsed;
        }
        if (!Directory.Exists(directory))
        {
            await stderr.WriteLineAsync($"vireo: --dir {directory} is not a directory");
            return 1;
        }
        IReadOnlyList<DiskBenchmarkRow> rows;
        string? note;
        try
        {
            (rows, note) = DiskBenchmark.Run(directory, size, [1, 32], requests, rounds, direct, json ? null : line => stderr.WriteLine($"  {line}"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or TimeoutException)
        {
            await stderr.WriteLineAsync($"vireo: bench disk: {e.Message}");
            return 1;
        }
        if (json)
        {
            using var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStartObject();
                w.WriteString("directory", directory);
                w.WriteNumber("imageBytes", size);
                w.WriteNumber("requests", requests);
                w.WriteNumber("rounds", rounds);
                w.WriteString("reference", "sync");
                if (note is not null)
                {
                    w.WriteString("note", note);
                }
                w.WriteStartArray("results");
                foreach (DiskBenchmarkRow row in rows)
                {
                    w.WriteStartObject();
                    w.WriteString("engine", row.Engine);
                    w.WriteString("cache", row.Direct ? "direct" : "cached");
                    w.WriteNumber("depth", row.Depth);
                    w.WriteNumber("iops", Math.Round(row.Iops));
                    w.WriteNumber("ratio", Math.Round(row.Ratio, 3));
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            await stdout.WriteLineAsync(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
            return 0;
        }
        await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"virtio-blk 4 KiB random reads, {size >> 20} MiB image in {directory}, median of {rounds} rounds of {requests}"));
        await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  {"cache",-8} {"depth",5} {"engine",-8} {"reads/s",10} {"vs sync",8}"));
        foreach (DiskBenchmarkRow row in rows)
        {
            await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  {(row.Direct ? "direct" : "cached"),-8} {row.Depth,5} {row.Engine,-8} {row.Iops,10:F0} {row.Ratio,8:F2}"));
        }
        if (note is not null)
        {
            await stdout.WriteLineAsync($"  ({note})");
        }
        return 0;
    }

    private static Command CreateDeviceEvents()
    {
        var count = new Option<long>("--count")
        {
            HelpName = "N",
            Description = "Samples of each event, 1 to 100000 (default 500).",
            CustomParser = NumberParser.Range(1, 100_000),
        };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of text." };
        var command = new VireoCommand(
            "device-events",
            "Time an assigned device's ACPI notify code and its wake, each from the device to its guest GPE, against a plain exit.",
            """
            Serves Vireo's sample accelerator over vfio-user on a thread of this process, assigns it
            to a tiny guest and measures the VMM's time for the device's two events, in µs (median,
            p90, p99 of N samples) and as a ratio to a plain port-I/O exit measured in the same run
            (the goal is at most 2):
              - notify: the device sends a code on its ACPI notify channel (vfio-user IRQ index 5)
                -> Vireo's events thread -> the code is in the device's mailbox and its notify GPE
                is raised
              - wake: with the device powered off by the guest's ACPI methods and a wake armed,
                the device wakes itself -> Vireo's events thread -> its wake GPE is raised
            It needs no interrupt delivery, so it runs on any KVM, PVM included.
            """) { count, json };
        command.SetAction(result => DeviceEventsAsync(
            result.GetResult(count) is null ? 500 : (int)result.GetValue(count),
            result.GetValue(json),
            result.InvocationConfiguration.Output,
            result.InvocationConfiguration.Error));
        return command;
    }

    private static async Task<int> DeviceEventsAsync(int count, bool json, TextWriter stdout, TextWriter stderr)
    {
        using KvmSystem kvm = HostKvm.Open();
        if (!json)
        {
            await stderr.WriteLineAsync($"timing {count} notify codes and {count} wakes of the in-process sample accelerator on the {KvmBackendName.Of(kvm.Backend)} KVM backend...");
        }
        DeviceEventBenchmarkResult result;
        using (var device = new AcceleratorDevice())
        using (var server = new InProcessVfioUserServer(device))
        using (VfioPciFunction sample = VfioPciFunction.Open(VfioUserClient.Open(server.ClientEnd), "sample"))
        {
            result = DeviceEventBenchmark.Run(kvm, sample, code => device.NotifyAcpi([code]), device.RequestWake, count);
        }
        if (json)
        {
            using var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStartObject();
                w.WriteString("backend", KvmBackendName.Of(kvm.Backend));
                w.WriteNumber("exitUs", Math.Round(result.ExitUs, 3));
                foreach ((string name, LatencySummary s, double ratio) in new[] { ("notify", result.Notify, result.NotifyRatio), ("wake", result.Wake, result.WakeRatio), ("deviceWakeCall", result.DeviceWake, result.DeviceWake.Median / result.ExitUs) })
                {
                    w.WriteStartObject(name);
                    w.WriteNumber("count", s.Count);
                    w.WriteNumber("medianUs", Math.Round(s.Median, 3));
                    w.WriteNumber("p90Us", Math.Round(s.P90, 3));
                    w.WriteNumber("p99Us", Math.Round(s.P99, 3));
                    w.WriteNumber("maxUs", Math.Round(s.Max, 3));
                    w.WriteNumber("ratio", Math.Round(ratio, 3));
                    w.WriteEndObject();
                }
                w.WriteEndObject();
            }
            await stdout.WriteLineAsync(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
        }
        else
        {
            await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"assigned device events (the sample accelerator, in-process) on the {KvmBackendName.Of(kvm.Backend)} KVM backend; a plain exit costs {result.ExitUs:F3} µs"));
            await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  {"",-40} {"median",9} {"p90",9} {"p99",9} {"max",9} {"exits",7}"));
            foreach ((string name, LatencySummary s, double ratio) in new[]
            {
                ("notify code -> mailbox + notify GPE", result.Notify, result.NotifyRatio),
                ("device wake -> wake GPE", result.Wake, result.WakeRatio),
                ("(the device's own wake call)", result.DeviceWake, result.DeviceWake.Median / result.ExitUs),
            })
            {
                await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"  {name,-40} {s.Median,9:F2} {s.P90,9:F2} {s.P99,9:F2} {s.Max,9:F2} {ratio,7:F2}"));
            }
        }
        return 0;
    }

    private static Command CreateStorm()
    {
        var seconds = new Option<long>("--seconds")
        {
            HelpName = "S",
            Description = "How long each scenario storms, 1 to 600 seconds (default 3).",
            CustomParser = NumberParser.Range(1, 600),
        };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of text." };
        var command = new VireoCommand(
            "storm",
            "Storm a tiny guest's ports, its SCI and a device's notify channel and INTx, and report the host CPU it costs and how the API answers meanwhile.",
            """
            Runs seven scenarios of S seconds, each on a fresh 2-vCPU machine with the API served on
            a private socket, while a client asks GET vm.info through that socket every 20 ms.
            vCPU 1 always halts; vCPU 0:
              quiet      halts too (the reference)
              port       writes a handled port in a loop
              unhandled  writes a port no device owns in a loop (reported once, then counted)
              sci        toggles the enable bit of a pending GPE in a loop: the level SCI goes up
                         and down on every pair of writes
              notify     halts, while the in-process sample accelerator sends ACPI notify codes as
                         fast as its channel takes them and the guest never reads its mailbox
              intx       makes the accelerator raise INTx and never acknowledges it; its handler
                         only EOIs, so the line, still high, fires again at every EOI (the device
                         unmasks on KVM's resample eventfd; the VMM is not on that path). Loops
                         are interrupts taken. Needs interrupt delivery: not run on PVM
              intx-held  the same line held high while the guest halts with interrupts off: it
                         fires once and is never EOIed, so the device stays masked (not on PVM)
            For each: the guest's loop turns per second, CPU in cores (1.00 = one core) of the vCPU
            threads, of the rest of the VMM (control loop, event threads, API server and the
            probing client) and of the storm's source (the device server, not the VMM), and the
            API's latency (median, p99, max) with its ratio to quiet's median. A storm may keep its
            vCPUs busy; it must not load the rest of the VMM or slow the API. All but the two intx
            scenarios need no interrupt delivery, so they run on any KVM, PVM included. JSON:
            "scenarios" and "skipped" (name and reason of each scenario not run).
            """) { seconds, json };
        command.SetAction(result => StormAsync(
            result.GetResult(seconds) is null ? 3 : (int)result.GetValue(seconds),
            result.GetValue(json),
            result.InvocationConfiguration.Output,
            result.InvocationConfiguration.Error));
        return command;
    }

    private static async Task<int> StormAsync(int seconds, bool json, TextWriter stdout, TextWriter stderr)
    {
        using KvmSystem kvm = HostKvm.Open();
        if (!json)
        {
            await stderr.WriteLineAsync($"storming for {seconds} s in each of up to 7 scenarios on the {KvmBackendName.Of(kvm.Backend)} KVM backend...");
        }
        string directory = Directory.CreateTempSubdirectory("vireo-storm-").FullName;
        StormBenchmarkResult result;
        try
        {
            // Thread names are cut to 15 characters: "vfio-user serv(er)" is the device's side, the
            // "vfio-user clien(t)" threads are the VMM's.
            // The probe is a management client on a real API socket: the server, the client and the
            // control loop are all in the path, as for `vireo api` against `vireo run --api-socket`.
            int probes = 0;
            async Task<StormProbe> OpenApiProbe(IVmm vmm)
            {
                string socket = Path.Combine(directory, $"api{Interlocked.Increment(ref probes)}.sock");
                ApiServer server = await ApiServer.StartAsync(socket, vmm).ConfigureAwait(false);
                var client = new ApiClient(socket, TimeSpan.FromSeconds(10));
                return new StormProbe("API GET vm.info", () => client.GetInfoAsync(), server);
            }
            using var device = new AcceleratorDevice();
            using var server = new InProcessVfioUserServer(device);
            using VfioPciFunction sample = VfioPciFunction.Open(VfioUserClient.Open(server.ClientEnd), "sample");
            // INTx: a DMA of no bytes completes at once and raises INTx, which stays high until
            // INTERRUPT_ACK, which the guest never writes.
            StormBarWrite[] raiseIntx =
            [
                new(0, AcceleratorDevice.RegLength, 0),
                new(0, AcceleratorDevice.RegCommand, AcceleratorDevice.CommandStart | AcceleratorDevice.DirectionMemoryToMemory),
            ];
            result = StormBenchmark.Run(kvm, TimeSpan.FromSeconds(seconds), OpenApiProbe,
                new StormDevice(sample, code => device.NotifyAcpi([code]), raiseIntx), ["vfio-user serv", "accelerator"]);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
        if (json)
        {
            using var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStartObject();
                w.WriteString("backend", KvmBackendName.Of(kvm.Backend));
                w.WriteNumber("seconds", seconds);
                w.WriteString("probe", result.Quiet.ProbeName);
                w.WriteStartArray("scenarios");
                foreach (StormScenarioResult s in result.Scenarios)
                {
                    w.WriteStartObject();
                    w.WriteString("name", s.Name);
                    w.WriteNumber("guestLoopsPerSecond", Math.Round(s.GuestLoopsPerSecond));
                    w.WriteNumber("vcpuCores", Math.Round(s.VcpuCores, 3));
                    w.WriteNumber("vmmCores", Math.Round(s.VmmCores, 3));
                    w.WriteNumber("sourceCores", Math.Round(s.SourceCores, 3));
                    w.WriteNumber("probes", s.Probe?.Count ?? 0);
                    w.WriteNumber("probeFailures", s.ProbeFailures);
                    if (s.FirstFailure is not null)
                    {
                        w.WriteString("firstFailure", s.FirstFailure);
                    }
                    if (s.Probe is { } p)
                    {
                        w.WriteNumber("medianUs", Math.Round(p.Median, 1));
                        w.WriteNumber("p99Us", Math.Round(p.P99, 1));
                        w.WriteNumber("maxUs", Math.Round(p.Max, 1));
                    }
                    if (result.LatencyRatio(s) is double ratio)
                    {
                        w.WriteNumber("latencyRatio", Math.Round(ratio, 3));
                    }
                    if (s.NotifyCodesPerSecond is double codes)
                    {
                        w.WriteNumber("notifyCodesPerSecond", Math.Round(codes));
                        w.WriteNumber("droppedNotifies", s.DroppedNotifies ?? 0);
                    }
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteStartArray("skipped");
                foreach (StormSkip skip in result.Skipped)
                {
                    w.WriteStartObject();
                    w.WriteString("name", skip.Name);
                    w.WriteString("reason", skip.Reason);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            await stdout.WriteLineAsync(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
            return 0;
        }
        await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"storms of {seconds} s on the {KvmBackendName.Of(kvm.Backend)} KVM backend; probe: {result.Quiet.ProbeName} every {StormBenchmark.ProbeInterval.TotalMilliseconds:F0} ms"));
        await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"  {"scenario",-9} {"loops/s",11} {"vCPU cores",10} {"VMM cores",9} {"source",7} {"API median",11} {"p99",9} {"max",9} {"ratio",6} {"failed",6}"));
        foreach (StormScenarioResult s in result.Scenarios)
        {
            string latency = s.Probe is { } p
                ? string.Create(CultureInfo.InvariantCulture, $"{p.Median,8:F0} µs {p.P99,6:F0} µs {p.Max,6:F0} µs")
                : $"{"none",11} {"",9} {"",9}";
            string ratio = result.LatencyRatio(s) is double r ? r.ToString("F2", CultureInfo.InvariantCulture) : "-";
            await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"  {s.Name,-9} {s.GuestLoopsPerSecond,11:F0} {s.VcpuCores,10:F2} {s.VmmCores,9:F2} {s.SourceCores,7:F2} {latency} {ratio,6} {s.ProbeFailures,6}"));
            if (s.NotifyCodesPerSecond is double codes)
            {
                await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"  {"",-9} the device offered {codes:F0} notify codes/s; the VMM dropped {s.DroppedNotifies ?? 0} (a full mailbox leaves them waiting at the device)"));
            }
            if (s.FirstFailure is not null)
            {
                await stdout.WriteLineAsync($"  {"",-9} first failed probe: {s.FirstFailure}");
            }
        }
        foreach (StormSkip skip in result.Skipped)
        {
            await stdout.WriteLineAsync($"  {skip.Name,-9} not run: {skip.Reason}");
        }
        return result.Scenarios.Any(s => s.ProbeFailures > 0) ? 1 : 0;
    }

    private static async Task<int> PciAsync(int count, int rounds, bool json, TextWriter stdout, TextWriter stderr)
    {
        using KvmSystem kvm = HostKvm.Open();
        if (!json)
        {
            await stderr.WriteLineAsync($"running {rounds} rounds of {count} trapped BAR reads against the in-process sample accelerator on the {KvmBackendName.Of(kvm.Backend)} KVM backend...");
        }
        PciBenchmarkResult result;
        using (var device = new AcceleratorDevice())
        using (var server = new InProcessVfioUserServer(device))
        using (VfioPciFunction sample = VfioPciFunction.Open(VfioUserClient.Open(server.ClientEnd), "sample"))
        {
            result = PciBenchmark.Run(kvm, sample, count, rounds);
        }
        if (json)
        {
            using var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStartObject();
                w.WriteString("backend", KvmBackendName.Of(kvm.Backend));
                w.WriteNumber("rounds", result.Rounds);
                w.WriteStartObject("trappedRead");
                w.WriteNumber("count", result.Reads);
                w.WriteNumber("us", Math.Round(result.TrappedReadUs, 3));
                w.WriteNumber("referenceUs", Math.Round(result.ReferenceReadUs, 3));
                w.WriteString("reference", "mmio-exit");
                w.WriteNumber("ratio", Math.Round(result.TrappedReadRatio, 3));
                w.WriteEndObject();
                w.WriteStartObject("mappedWrite");
                w.WriteNumber("count", result.Writes);
                w.WriteNumber("us", Math.Round(result.MappedWriteUs, 6));
                w.WriteNumber("referenceUs", Math.Round(result.RamWriteUs, 6));
                w.WriteString("reference", "guest-ram");
                w.WriteNumber("ratio", Math.Round(result.MappedWriteRatio, 3));
                w.WriteEndObject();
                w.WriteStartObject("dma");
                w.WriteNumber("count", result.Transfers);
                w.WriteNumber("bytes", result.TransferBytes);
                w.WriteNumber("us", Math.Round(result.DmaUs, 3));
                w.WriteNumber("referenceUs", Math.Round(result.CopyUs, 3));
                w.WriteString("reference", "memcpy");
                w.WriteNumber("pollsPerTransfer", Math.Round(result.PollsPerTransfer, 2));
                w.WriteNumber("megabytesPerSecond", Math.Round(result.DmaMegabytesPerSecond, 1));
                w.WriteNumber("referenceMegabytesPerSecond", Math.Round(result.CopyMegabytesPerSecond, 1));
                w.WriteNumber("throughputRatio", Math.Round(result.DmaThroughputRatio, 4));
                w.WriteEndObject();
                w.WriteEndObject();
            }
            await stdout.WriteLineAsync(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
        }
        else
        {
            await stdout.WriteLineAsync($"vfio-user PCI device (the sample accelerator, in-process) on the {KvmBackendName.Of(kvm.Backend)} KVM backend, median of {result.Rounds} rounds");
            await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  {"",-44} {"µs/op",10} {"reference",10} {"ratio",8}"));
            await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"  {$"trapped BAR0 read ({result.Reads}) vs MMIO exit",-44} {result.TrappedReadUs,10:F3} {result.ReferenceReadUs,10:F3} {result.TrappedReadRatio,8:F2}"));
            await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"  {$"mapped BAR2 write ({result.Writes}) vs guest RAM",-44} {result.MappedWriteUs,10:F5} {result.RamWriteUs,10:F5} {result.MappedWriteRatio,8:F2}"));
            await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"  {$"DMA 64 KiB RAM -> buffer ({result.Transfers}) vs memcpy",-44} {result.DmaUs,10:F3} {result.CopyUs,10:F3} {result.DmaUs / result.CopyUs,8:F2}"));
            await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"  DMA throughput {result.DmaMegabytesPerSecond:F0} MB/s, memcpy {result.CopyMegabytesPerSecond:F0} MB/s: {result.DmaThroughputRatio:F4} of memcpy " +
                $"(each DMA: 4 register writes and {result.PollsPerTransfer:F1} COMPLETED reads through the proxy)"));
        }
        return 0;
    }

    /// <summary>The wake's steps in order: JSON name, text label, latency.</summary>
    private static (string Name, string Label, LatencySummary Step)[] WakeSteps(S2IdleWakeSteps steps) =>
    [
        ("requestToTaken", "request -> wake taken", steps.RequestToTaken),
        ("takenToRelease", "wake taken -> vCPU 0 released", steps.TakenToRelease),
        ("releaseToThread", "released -> vCPU thread awake", steps.ReleaseToThread),
        ("threadToRun", "thread awake -> KVM_RUN called", steps.ThreadToRun),
        ("runToMarker", "KVM_RUN called -> marker exit", steps.RunToMarker),
    ];

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
