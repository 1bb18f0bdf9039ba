namespace Vireo.Lab;

/// <summary>The lines L1's /init prints on the serial console and the lines the host sends
/// back; the init script and the runner both build theirs from these.</summary>
internal static class LabMarkers
{
    /// <summary>Starts every marker line; unlikely to appear in a payload's own output.</summary>
    public const string Prefix = "@@VIREO-LAB@@";

    public const string Ready = "ready";
    public const string Begin = "begin";
    public const string End = "end";
    public const string InsmodFailed = "insmod-failed";
    public const string PowerOff = "poweroff";

    /// <summary>Host → L1: append one base64 chunk of the next command.</summary>
    public const string ChunkVerb = "c";

    /// <summary>Host → L1: run the command assembled from the chunks, tagged with an id.</summary>
    public const string RunVerb = "r";

    /// <summary>Host → L1: leave the command loop and power off.</summary>
    public const string QuitVerb = "q";

    /// <summary>Base64 characters per line: well below the tty's 4095-byte canonical line limit
    /// and the UART receive path's buffering.</summary>
    public const int ChunkLength = 512;
}
