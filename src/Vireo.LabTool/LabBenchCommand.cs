using Vireo.Lab;

namespace Vireo.LabTool;

/// <summary>`vireo-lab bench boot|devices`: Vireo against QEMU with the same guest in one lab run.</summary>
internal static class LabBenchCommand
{
    public const string Help = """
        Usage: vireo-lab bench boot [--rounds N] [--json] [--timeout SECONDS] [--vireo PATH]

        Boots the default guest (Debian's cloud kernel, Vireo's busybox initramfs) to the same
        marker with Vireo and with QEMU (-M microvm -enable-kvm -cpu host), both on the kvm-amd
        of one nested lab run (L1), alternating, and prints each side's times, their medians
        and the ratio Vireo/QEMU (the goal is at most 0.7). Both get the same kernel command
        line, 1 vCPU and 256 MiB; the guest prints the marker with its own uptime and reboots
        (reboot=t: a triple fault ends either VMM).

        Times are wall time inside L1 from starting the VMM process to the marker line (and to
        its exit). They are dominated by emulation: compare the ratio, not the seconds. The
        guest's uptime at the marker splits each run into the kernel's boot and what came
        before its clock started (VMM start-up, firmware, kernel loading and decompression).

          --rounds N        runs per VMM (default 3)
          --json            print one JSON object instead of a table
          --timeout S       kill a VMM run after S seconds (default 240)
          --vireo PATH      the NativeAOT vireo to copy into the lab (vireo-lab --help)

        Fails (exit 1, naming the VMM and round, with its last console lines) when either VMM
        does not reach the marker.

        Usage: vireo-lab bench devices [--rounds N] [--seconds S] [--json] [--timeout SECONDS]
                                       [--vireo PATH]

        virtio-blk and virtio-net under Vireo and under QEMU (-M q35, virtio-blk-pci and
        virtio-net-pci, modern, no vhost), the same guest on the kvm-amd of one lab run,
        alternating: 1 vCPU, 256 MiB, the same 128 MiB raw image in L1's memory (page cache
        on both: Vireo's default, QEMU's cache=writeback,aio=threads) and a tap each. The
        guest runs a small static tool (devbench, compiled with gcc) for three phases of S
        seconds: 4 KiB random reads at queue depth 1 (IOPS), 1 MiB sequential reads, and a
        TCP stream to L1. For each phase it prints each VMM's requests/s, MiB/s and VMM CPU
        time per request (user + system time of the VMM process over the phase, less the
        time its vCPU spent in the guest), their medians and the ratios Vireo/QEMU (the
        goal is a throughput ratio of at least 1.0 in every phase).

          --rounds N        runs per VMM (default 2)
          --seconds S       each phase's length in the guest (default 5)
          --json            print one JSON object instead of a table
          --timeout S       kill a VMM run after S seconds (default 240)
          --vireo PATH      the NativeAOT vireo to copy into the lab (vireo-lab --help)
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length == 0 || args[0] is "--help" or "-h")
        {
            await (args.Length == 0 ? stderr : stdout).WriteLineAsync(Help);
            return args.Length == 0 ? 2 : 0;
        }
        if (args[0] is not ("boot" or "devices"))
        {
            throw new UsageException($"bench: unknown benchmark '{args[0]}'; the lab benchmarks are: boot, devices");
        }
        var reader = new LabArguments($"bench {args[0]}", args[1..]);
        if (reader.Flag("--help") || reader.Flag("-h"))
        {
            await stdout.WriteLineAsync(Help);
            return 0;
        }
        bool devices = args[0] == "devices";
        uint rounds = reader.UInt("--rounds", devices ? 2u : 3u, 1, 100);
        uint seconds = devices ? reader.UInt("--seconds", 5, 1, 3600) : 0;
        bool json = reader.Flag("--json");
        uint timeout = reader.UInt("--timeout", 240, 10, 86_400);
        string? vireo = reader.Option("--vireo");
        reader.Done();

        if (devices)
        {
            var deviceOptions = new DeviceBenchmarkOptions { Rounds = (int)rounds, PhaseSeconds = (int)seconds, RunTimeout = TimeSpan.FromSeconds(timeout) };
            DeviceBenchmarkResult devicesResult = await DeviceBenchmark.RunInNewLabAsync(VireoBinary.Locate(vireo, stderr), deviceOptions, stderr);
            await stdout.WriteAsync(json ? devicesResult.ToJson() + "\n" : devicesResult.ToTable());
            return 0;
        }
        var options = new BootBenchmarkOptions { Rounds = (int)rounds, RunTimeout = TimeSpan.FromSeconds(timeout) };
        BootBenchmarkResult result = await BootBenchmark.RunInNewLabAsync(VireoBinary.Locate(vireo, stderr), options, stderr);
        await stdout.WriteAsync(json ? result.ToJson() + "\n" : result.ToTable());
        return 0;
    }
}
