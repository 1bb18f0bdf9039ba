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
        return CliRunner.RunAsync(CreateRoot(), args, stdout, stderr);
    }

    internal static Command CreateRoot()
    {
        VireoCommand root = CliRunner.CreateRoot("vireo", "vireo - a virtual machine monitor for Linux KVM", Details);
        root.Options.Add(new VersionOption());
        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(KvmInfoCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(Vireo.Api.RemoteCommand.Create());
        root.Subcommands.Add(AcpiCommand.Create());
        root.Subcommands.Add(VfioUserCommand.Create());
        root.Subcommands.Add(AgentCommand.Create());
        root.Subcommands.Add(ConfineCheckCommand.Create());
        CliRunner.MakeGroup(root);
        return root;
    }
}
