using Vireo.Lab;

namespace Vireo.LabTool;

/// <summary>`vireo-lab bench boot`: Vireo against QEMU booting the same guest in one lab run.</summary>
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
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length == 0 || args[0] is "--help" or "-h")
        {
            await (args.Length == 0 ? stderr : stdout).WriteLineAsync(Help);
            return args.Length == 0 ? 2 : 0;
        }
        if (args[0] != "boot")
        {
            throw new UsageException($"bench: unknown benchmark '{args[0]}'; the lab benchmark is: boot");
        }
        var reader = new LabArguments("bench boot", args[1..]);
        if (reader.Flag("--help") || reader.Flag("-h"))
        {
            await stdout.WriteLineAsync(Help);
            return 0;
        }
        uint rounds = reader.UInt("--rounds", 3, 1, 100);
        bool json = reader.Flag("--json");
        uint timeout = reader.UInt("--timeout", 240, 10, 86_400);
        string? vireo = reader.Option("--vireo");
        reader.Done();

        var options = new BootBenchmarkOptions { Rounds = (int)rounds, RunTimeout = TimeSpan.FromSeconds(timeout) };
        BootBenchmarkResult result = await BootBenchmark.RunInNewLabAsync(VireoBinary.Locate(vireo, stderr), options, stderr);
        await stdout.WriteAsync(json ? result.ToJson() + "\n" : result.ToTable());
        return 0;
    }
}
