using System.CommandLine;
using Vireo.Cli.Common;

namespace Vireo.Cli;

/// <summary>Top-level dispatch of `vireo &lt;command&gt;`. Exit status: 0 success, 1 the command
/// failed (message on stderr), 2 the command line was wrong.</summary>
internal static class CommandLine
{
    private const string Details = """
        Exit status: 0 on success, 1 when the command failed, 2 when the command line
        is wrong. Errors go to stderr and say what to do about them.
        """;

    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        // The lab parses its own words (it is moving to its own tool, vireo-lab); its --help too.
        if (args is ["lab", .. string[] rest])
        {
            return CliRunner.GuardAsync("vireo", () => LabCommand.RunAsync(rest, stdout, stderr), stderr, IsLabCommandUserError);
        }
        return CliRunner.RunAsync(CreateRoot(), args, stdout, stderr, IsLabUserError);
    }

    internal static Command CreateRoot()
    {
        VireoCommand root = CliRunner.CreateRoot("vireo", "vireo - a virtual machine monitor for Linux KVM", Details);
        root.Options.Add(new VersionOption());
        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(new Command(
            "lab",
            "Run `vireo run` inside the nested lab (QEMU TCG emulating AMD SVM) for hosts without VMX/SVM: " +
            "`vireo lab run [run options]`, `vireo lab bench boot`; `vireo lab --help`."));
        root.Subcommands.Add(KvmInfoCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(Vireo.Api.RemoteCommand.Create());
        root.Subcommands.Add(AcpiCommand.Create());
        root.Subcommands.Add(VfioUserCommand.Create());
        CliRunner.MakeGroup(root);
        return root;
    }

    // Vireo.Lab's errors are the user's to fix too (the default guest is prepared by it, even
    // for `vireo run`); LabCommand also throws InvalidOperationException for "not the NativeAOT
    // build". Both go with the lab when it moves to vireo-lab.
    private static bool IsLabUserError(Exception e) => e is Vireo.Lab.LabException;

    private static bool IsLabCommandUserError(Exception e) => e is Vireo.Lab.LabException or InvalidOperationException;
}
