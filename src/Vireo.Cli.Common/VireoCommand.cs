using System.CommandLine;

namespace Vireo.Cli.Common;

/// <summary>A command whose help has, after the generated usage and option list, a paragraph
/// of details (what the command does in full, its exit status) that fits no single option.</summary>
public class VireoCommand(string name, string description, string? details = null) : Command(name, description)
{
    public string? Details { get; } = details;
}
