using System.CommandLine;
using System.CommandLine.Parsing;

namespace Vireo.Cli.Common;

/// <summary>Turns a failed parse into the one line Vireo's commands print for a usage error:
/// `vireo: run: --cpus was given twice (2, 3); give it once (see `vireo run --help`)`, with a
/// suggestion for a mistyped option or command.</summary>
public static class CommandLineErrors
{
    /// <summary>The one-line message for a parse that failed: a repeated option, then an unknown token (with a suggestion), then the parser's first error.</summary>
    /// <param name="result">A parse result with errors.</param>
    public static string Describe(ParseResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        List<string> path = CommandPath(result.CommandResult);
        string message = Duplicate(result.CommandResult) ?? Unmatched(result) ?? FirstError(result);
        return Format(path, message);
    }

    /// <summary>`vireo: run: MESSAGE (see `vireo run --help`)`.</summary>
    public static string Format(IReadOnlyList<string> path, string message)
    {
        ArgumentNullException.ThrowIfNull(path);
        return $"{Prefix(path)}{message} (see `{string.Join(' ', path)} --help`)";
    }

    /// <summary>"vireo: " for the root, "vireo: bench exits: " for a subcommand.</summary>
    public static string Prefix(IReadOnlyList<string> path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return path.Count <= 1 ? $"{path[0]}: " : $"{path[0]}: {string.Join(' ', path.Skip(1))}: ";
    }

    /// <summary>The names from the root down to this command ("vireo", "bench", "exits").</summary>
    public static List<string> CommandPath(CommandResult command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var names = new List<string>();
        for (SymbolResult? at = command; at is not null; at = at.Parent)
        {
            if (at is CommandResult c)
            {
                names.Insert(0, c.Command.Name);
            }
        }
        return names;
    }

    /// <summary>The option or argument a value belongs to, as the user wrote it.</summary>
    public static string NameOf(ArgumentResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.Parent is OptionResult option ? option.Option.Name : result.Argument.HelpName ?? result.Argument.Name;
    }

    /// <summary>The one-line complaint about an option given more than once, or null.
    /// System.CommandLine reports a repeated single-valued option as "expects a single argument
    /// but 2 were provided", and accepts a repeated flag silently: both are one mistake.</summary>
    public static string? Duplicate(CommandResult command)
    {
        for (SymbolResult? at = command; at is not null; at = at.Parent)
        {
            if (at is not CommandResult c)
            {
                continue;
            }
            foreach (OptionResult option in c.Children.OfType<OptionResult>())
            {
                if (option.IdentifierTokenCount > 1 && option.Option.Arity.MaximumNumberOfValues <= 1)
                {
                    string times = option.IdentifierTokenCount == 2 ? "twice" : $"{option.IdentifierTokenCount} times";
                    string values = option.Tokens.Count == 0 ? "" : $" ({string.Join(", ", option.Tokens.Select(t => t.Value))})";
                    return $"{option.Option.Name} was given {times}{values}; give it once";
                }
            }
        }
        return null;
    }

    private static string? Unmatched(ParseResult result)
    {
        if (result.UnmatchedTokens.Count == 0)
        {
            return null;
        }
        string token = result.UnmatchedTokens[0];
        Command command = result.CommandResult.Command;
        if (token.StartsWith('-') && token.Length > 1 && !NumberParser.TryParse(token.TrimStart('-'), out _))
        {
            IEnumerable<string> names = VisibleOptions(result.CommandResult).SelectMany(o => o.Aliases.Prepend(o.Name));
            return $"unknown option '{token}'{Suggestion(token, names)}";
        }
        if (command.Subcommands.Count > 0 && command.Arguments.Count == 0)
        {
            IEnumerable<string> names = command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name);
            return $"unknown command '{token}' (the commands are: {string.Join(", ", names)}){Suggestion(token, names)}";
        }
        return $"unexpected argument '{token}'";
    }

    private static string FirstError(ParseResult result)
    {
        ParseError error = result.Errors[0];
        return error.SymbolResult switch
        {
            OptionResult { IdentifierTokenCount: 0 } option => $"{option.Option.Name} {option.Option.HelpName ?? "VALUE"} is required",
            OptionResult { Tokens.Count: 0 } option when option.Option.Arity.MinimumNumberOfValues > 0 => $"{option.Option.Name} needs a value",
            ArgumentResult { Tokens.Count: 0, Parent: CommandResult } argument => $"give {NameOf(argument)}: {argument.Argument.Description?.TrimEnd('.')}",
            _ => error.Message,
        };
    }

    private static IEnumerable<Option> VisibleOptions(CommandResult command)
    {
        foreach (Option option in command.Command.Options)
        {
            yield return option;
        }
        for (SymbolResult? at = command.Parent; at is not null; at = at.Parent)
        {
            if (at is CommandResult parent)
            {
                foreach (Option option in parent.Command.Options.Where(o => o.Recursive))
                {
                    yield return option;
                }
            }
        }
    }

    /// <summary>"; did you mean '--cpus'?" for the closest name within a small edit distance.</summary>
    internal static string Suggestion(string typed, IEnumerable<string> names)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (string name in names.Distinct())
        {
            int distance = EditDistance(typed, name);
            if (distance < bestDistance)
            {
                (best, bestDistance) = (name, distance);
            }
        }
        int allowed = Math.Max(2, typed.Length / 3);
        return best is not null && bestDistance <= allowed ? $"; did you mean '{best}'?" : "";
    }

    private static int EditDistance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j], current[j - 1]) + 1);
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
