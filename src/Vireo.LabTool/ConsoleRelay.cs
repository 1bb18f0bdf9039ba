namespace Vireo.LabTool;

/// <summary>What of a lab console line reaches the user's terminal.</summary>
internal static class ConsoleRelay
{
    /// <summary>busybox ash asks the terminal for the cursor position (ESC [ 6 n, "Device Status
    /// Report") after each prompt. Nobody in the lab can answer it, and passed on to the user's
    /// terminal it would make that terminal type its answer into the user's shell.</summary>
    public const string CursorPositionQuery = "\u001b[6n";

    public static string ForDisplay(string line) =>
        line.Replace(CursorPositionQuery, "", StringComparison.Ordinal);
}
