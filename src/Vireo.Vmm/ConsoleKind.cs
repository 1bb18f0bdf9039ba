namespace Vireo.Vmm;

/// <summary>Where the guest console (COM1) is connected on the host.</summary>
public enum ConsoleKind
{
    Stdio,
    File,
    Socket,
}
