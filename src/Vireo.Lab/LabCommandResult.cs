namespace Vireo.Lab;

/// <summary>One payload command run in L1: its console output (stdout and stderr together,
/// lines joined with '\n') and its exit status.</summary>
public sealed record LabCommandResult(string Command, int ExitStatus, string Output, TimeSpan Elapsed)
{
    /// <summary>Whether the command exited with status 0.</summary>
    public bool Succeeded => ExitStatus == 0;

    /// <summary>The output split into lines, without a trailing empty line.</summary>
    public IReadOnlyList<string> OutputLines =>
        Output.Length == 0 ? [] : Output.TrimEnd('\n').Split('\n');
}
