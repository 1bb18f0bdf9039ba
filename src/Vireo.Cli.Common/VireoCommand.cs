using System.CommandLine;

namespace Vireo.Cli.Common;

/// <summary>A command whose help has, after the generated usage and option list, a paragraph
/// of details (what the command does in full, its exit status) that fits no single option.</summary>
public class VireoCommand(string name, string description, string? details = null) : Command(name, description)
{
    /// <summary>The paragraph printed after the generated help; null for none.</summary>
    public string? Details { get; } = details;
}
