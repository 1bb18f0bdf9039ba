using Vireo.Vmm;

namespace Vireo.Cli;

/// <summary>Where COM1 goes: `stdio`, `file=PATH` (output only) or `socket=PATH` (a UNIX socket
/// Vireo listens on; the client that connects gets the output and types the input).</summary>
internal sealed record SerialTarget(ConsoleKind Kind, string? Path)
{
    public static readonly SerialTarget Stdio = new(ConsoleKind.Stdio, null);

    /// <summary>Null when <paramref name="text"/> is none of the three forms.</summary>
    public static SerialTarget? TryParse(string text)
    {
        if (text == "stdio")
        {
            return Stdio;
        }
        if (text.StartsWith("file=", StringComparison.Ordinal) && text.Length > 5)
        {
            return new SerialTarget(ConsoleKind.File, text[5..]);
        }
        if (text.StartsWith("socket=", StringComparison.Ordinal) && text.Length > 7)
        {
            return new SerialTarget(ConsoleKind.Socket, text[7..]);
        }
        return null;
    }
}
