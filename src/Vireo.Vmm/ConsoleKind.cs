namespace Vireo.Vmm;

/// <summary>Where the guest console (COM1) is connected on the host.</summary>
public enum ConsoleKind
{
    /// <summary>The VMM's own standard input and output.</summary>
    Stdio,
    /// <summary>Output to a file; no input.</summary>
    File,
    /// <summary>A UNIX socket Vireo listens on; the connected client is the console.</summary>
    Socket,
}
