using System.CommandLine;
using System.CommandLine.Help;
using Vireo.Sys;

namespace Vireo.Cli.Common;

/// <summary>Parses and runs one of Vireo's command lines with the same conventions everywhere:
/// generated help on stdout (exit 0), a usage error as one line on stderr (exit 2), a failure
/// the user can fix as one line on stderr (exit 1), and a bug with its stack (exit 70).</summary>
public static class CliRunner
{
    /// <summary>Exit status of a failure the user can fix, reported as one line on stderr.</summary>
    public const int Failure = 1;

    /// <summary>Exit status of a usage error (a bad command line), as BSD tools and System.CommandLine use it.</summary>
    public const int Usage = 2;

    /// <summary>EX_SOFTWARE from sysexits.h: an internal error.</summary>
    public const int Bug = 70;

    /// <summary>How every Vireo command line is tokenized: an argument that starts with '@'
    /// (a file name, a kernel parameter) is itself, not a response file to expand.</summary>
    public static ParserConfiguration Parsing { get; } = new() { ResponseFileTokenReplacer = null };

    /// <summary>A root command named as the program is invoked, with -h/--help.</summary>
    public static VireoCommand CreateRoot(string name, string description, string? details = null)
    {
        var root = new VireoCommand(name, description, details);
        root.Options.Add(new HelpOption { Action = new VireoHelpAction(), Recursive = true });
        return root;
    }

    /// <summary>Makes <paramref name="group"/> a command of commands: alone it prints its help
    /// and exits 2, and `help NAME...` shows a subcommand's help.</summary>
    public static void MakeGroup(Command group)
    {
        ArgumentNullException.ThrowIfNull(group);
        var names = new Argument<string[]>("command") { Arity = ArgumentArity.ZeroOrMore, Description = "The command to describe." };
        var help = new Command("help", "Show the help of a command (`help run` is `run --help`).") { names };
        help.SetAction(result =>
        {
            List<string> path = CommandLineErrors.CommandPath(result.CommandResult);
            string[] words = [.. path.Skip(1).SkipLast(1), .. result.GetValue(names) ?? [], "--help"];
            ParseResult again = result.RootCommandResult.Command.Parse(words, Parsing);
            if (again.UnmatchedTokens.Count > 0)
            {
                throw new UsageException($"help: no command '{again.UnmatchedTokens[0]}' (see `{string.Join(' ', path.SkipLast(1))} --help`)");
            }
            return again.Invoke(result.InvocationConfiguration);
        });
        group.Subcommands.Add(help);
        group.SetAction(result =>
        {
            new VireoHelpAction().Invoke(result);
            return Usage;
        });
    }

    /// <summary>Parses <paramref name="args"/> against <paramref name="root"/> and runs the
    /// chosen command (see <see cref="GuardAsync"/> for what becomes of its exceptions).</summary>
    public static async Task<int> RunAsync(
        Command root, IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr,
        Func<Exception, bool>? alsoUserError = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(stderr);
        ParseResult result = root.Parse(args, Parsing);
        bool help = result.Action is VireoHelpAction;
        if (!help && result.Errors.Count > 0)
        {
            await stderr.WriteLineAsync(CommandLineErrors.Describe(result));
            return Usage;
        }
        if (!help && CommandLineErrors.Duplicate(result.CommandResult) is string duplicate)
        {
            await stderr.WriteLineAsync(CommandLineErrors.Format(CommandLineErrors.CommandPath(result.CommandResult), duplicate));
            return Usage;
        }
        var configuration = new InvocationConfiguration
        {
            Output = stdout,
            Error = stderr,
            EnableDefaultExceptionHandler = false,
            // Commands handle SIGINT/SIGTERM themselves (vireo run presses the power button).
            ProcessTerminationTimeout = null,
        };
        return await GuardAsync(root.Name, () => result.InvokeAsync(configuration, cancellationToken), stderr, alsoUserError);
    }

    /// <summary>Runs <paramref name="body"/> and maps what it throws to an exit status:
    /// <see cref="UsageException"/> 2; another <see cref="VireoException"/>, a file error
    /// (<see cref="IOException"/>, <see cref="UnauthorizedAccessException"/>: their messages
    /// name the path) or what <paramref name="alsoUserError"/> accepts 1, each as one line on
    /// stderr; anything else is a bug: 70, with the stack for the report.</summary>
    public static async Task<int> GuardAsync(string program, Func<Task<int>> body, TextWriter stderr, Func<Exception, bool>? alsoUserError = null)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(stderr);
        try
        {
            return await body();
        }
        catch (UsageException e)
        {
            await stderr.WriteLineAsync($"{program}: {OneLine(e.Message)}");
            return Usage;
        }
        catch (Exception e) when (e is VireoException or IOException or UnauthorizedAccessException || (alsoUserError?.Invoke(e) ?? false))
        {
            await stderr.WriteLineAsync($"{program}: {OneLine(e.Message)}");
            return Failure;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await stderr.WriteLineAsync($"{program}: internal error, a bug in Vireo; please report it with these lines:");
            await stderr.WriteLineAsync(e.ToString());
            return Bug;
        }
    }

    // A user error is one line on stderr, whatever a message from a lower layer holds.
    private static string OneLine(string message) =>
        string.Join(' ', message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
