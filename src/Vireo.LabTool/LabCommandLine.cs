using Vireo.Lab;
using Vireo.Loader;

namespace Vireo.LabTool;

/// <summary>Top-level dispatch of `vireo-lab &lt;command&gt;`. Exit status: 0 success (or, for
/// `run`, the status of `vireo run` inside the lab), 1 the command failed, 2 the command line
/// was wrong.</summary>
internal static class LabCommandLine
{
    public const string Help = """
        vireo-lab - Vireo's nested lab, its boot benchmark and the default guest

        Usage: vireo-lab <command> [options]

        Commands:
          run [vireo run options] [--input TEXT] [--timeout S]
                                 Run `vireo run` inside the nested lab: QEMU (TCG) emulating an
                                 AMD CPU with SVM boots Debian's stock kernel with kvm-amd (L1),
                                 and the NativeAOT vireo boots the guest (L2) on that real KVM.
                                 For hosts whose /dev/kvm cannot boot Linux (PVM) or that have
                                 no KVM. `vireo-lab run --help` lists the options.
          bench boot [--rounds N] [--json] [--timeout S]
                                 Vireo against QEMU (-M microvm) booting the default guest in one
                                 lab run; prints medians and the ratio Vireo/QEMU.
          bench devices [--rounds N] [--seconds S] [--json] [--timeout S]
                                 Vireo against QEMU (-M q35) on virtio-blk and virtio-net in one
                                 lab run: IOPS, MiB/s and VMM CPU per request, and the ratios.
          guest [--json] [--machine-disk] [--guest default|no-modules] [--kernel-flavour cloud|generic]
                                 Fetch the default guest (Debian's stock kernel with apt, a
                                 busybox initramfs and an ext4 root disk built here; cached
                                 under ~/.cache/vireo or $VIREO_CACHE) and print their paths.
          help                   Show this text.

        Options valid everywhere:
          -h, --help             Show help for vireo-lab or for a command.
          --version              Show the version.
          --vireo PATH           (run, bench) the NativeAOT vireo to copy into the lab; default:
                                 $VIREO_BINARY, a vireo beside vireo-lab, or in a source checkout
                                 the one tools/vireo.sh builds (rebuilt when sources changed)

        Progress goes to stderr, results and the guest console to stdout. Needs root or sudo
        the first time (apt-get installs qemu-system-x86, busybox-static, cpio, xz-utils).
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        try
        {
            if (args.Length == 0)
            {
                await stderr.WriteLineAsync(Help);
                return 2;
            }
            if (args[0] is "help" or "-h" or "--help")
            {
                await stdout.WriteLineAsync(Help);
                return 0;
            }
            if (args[0] == "--version")
            {
                await stdout.WriteLineAsync($"vireo-lab {typeof(LabCommandLine).Assembly.GetName().Version}");
                return 0;
            }
            string[] rest = args[1..];
            return args[0] switch
            {
                "run" => await LabRunCommand.RunAsync(rest, stdout, stderr),
                "bench" => await LabBenchCommand.RunAsync(rest, stdout, stderr),
                "guest" => await GuestCommand.RunAsync(rest, stdout, stderr),
                _ => throw new UsageException($"unknown command '{args[0]}'; the commands are run, bench boot, bench devices and guest (vireo-lab --help)"),
            };
        }
        catch (UsageException e)
        {
            await stderr.WriteLineAsync($"vireo-lab: {e.Message}");
            return 2;
        }
        catch (Exception e) when (e is LabException or KernelImageException or IOException or UnauthorizedAccessException)
        {
            await stderr.WriteLineAsync($"vireo-lab: {e.Message}");
            return 1;
        }
    }
}
