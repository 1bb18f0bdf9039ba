using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace Vireo.Cli.Common;

/// <summary>The generated help (usage, arguments, options, subcommands) followed by the
/// command's <see cref="VireoCommand.Details"/>.</summary>
public sealed class VireoHelpAction : SynchronousCommandLineAction
{
    private readonly HelpAction _generated = new() { MaxWidth = 100 };

    /// <inheritdoc/>
    public override bool ClearsParseErrors => true;

    /// <inheritdoc/>
    public override int Invoke(ParseResult parseResult)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        _generated.Invoke(parseResult);
        if (parseResult.CommandResult.Command is VireoCommand { Details: string details })
        {
            TextWriter output = parseResult.InvocationConfiguration.Output;
            output.WriteLine(details.TrimEnd());
            output.WriteLine();
        }
        return 0;
    }
}
