namespace Vireo.Cli;

/// <summary>Top-level dispatch of `vireo &lt;command&gt;`. Exit status: 0 success, 1 the command
/// failed (message on stderr), 2 the command line was wrong.</summary>
internal static class CommandLine
{
    public const string Help = """
        vireo - a virtual machine monitor for Linux KVM

        Usage: vireo <command> [options]

        Commands:
          run --kernel K [options]          Boot a Linux guest. `vireo run --help` lists the
                                            options.
          kvm-info [--json]                 Show the host's KVM: API version, backend
                                            (Intel, AMD or PVM) and key capabilities.
          bench exits [--count N] [--json] Run a tiny 64-bit guest that does N port writes
                                            (default 200000) and report the cost per exit.
          bench s2idle [--count N] [--json] Time guest suspend-to-idle: LPS0 entry trap to
                                            the host's event, and a wake to the guest's
                                            first instruction, against one plain exit.
          remote --api-socket P <command>   Control a running VM through its API socket
                                            (info, pause, resume, power-button, shutdown,
                                            gpe N, wake, events); `vireo remote --help`.
          acpi dump --out DIR [--cpus N]    Write the ACPI tables `vireo run` would build.
          vfio-user info SOCKET [--json]    Describe the device served by a vfio-user server.
          help                              Show this text.

        Options valid everywhere:
          -h, --help                        Show help for vireo or for a command.
          --version                         Show Vireo's version.

        Exit status: 0 on success, 1 when the command failed, 2 when the command line
        is wrong. Errors go to stderr and say what to do about them.
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        try
        {
            if (args.Length == 0 || args[0] is "help" or "-h" or "--help")
            {
                await stdout.WriteLineAsync(Help);
                return 0;
            }
            if (args[0] == "--version")
            {
                await stdout.WriteLineAsync($"vireo {typeof(CommandLine).Assembly.GetName().Version}");
                return 0;
            }
            string[] rest = args[1..];
            return args[0] switch
            {
                "run" => await RunCommand.RunAsync(rest, stdout, stderr),
                "kvm-info" => await KvmInfoCommand.RunAsync(rest, stdout),
                "vfio-user" => await VfioUserCommand.RunAsync(rest, stdout),
                "remote" => await Vireo.Api.RemoteCommand.RunAsync(rest, stdout, stderr),
                "acpi" => await AcpiCommand.RunAsync(rest, stdout),
                "bench" => await BenchCommand.RunAsync(rest, stdout, stderr),
                _ => throw new UsageException($"unknown command '{args[0]}'; run `vireo --help` for the list"),
            };
        }
        catch (UsageException e)
        {
            await stderr.WriteLineAsync($"vireo: {e.Message}");
            return 2;
        }
        catch (Exception e) when (e is Vireo.Sys.ErrnoException or InvalidOperationException or IOException or UnauthorizedAccessException or Vireo.Loader.KernelImageException or Vireo.VfioUser.VfioUserException)
        {
            await stderr.WriteLineAsync($"vireo: {e.Message}");
            return 1;
        }
    }
}
