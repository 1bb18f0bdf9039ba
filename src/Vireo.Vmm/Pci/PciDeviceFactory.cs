namespace Vireo.Vmm;

/// <summary>
/// Makes the PCI functions the command line asks for (`vireo run --vfio-user SOCKET,id=NAME`).
/// The one place a backend's constructor is named, so the CLI and the builder know only
/// <see cref="IMachineBoundPciFunction"/>.
/// </summary>
public static class PciDeviceFactory
{
    /// <summary>Connects to the vfio-user device server on <paramref name="socket"/> and returns
    /// the function that stands for it in the guest, called <paramref name="id"/>. The caller
    /// owns it and disposes it (if it is <see cref="IDisposable"/>) after the last machine.</summary>
    /// <exception cref="Sys.VireoException">The server cannot be reached or refused.</exception>
    public static IMachineBoundPciFunction ConnectVfioUser(string socket, string id)
    {
        ArgumentException.ThrowIfNullOrEmpty(socket);
        ArgumentException.ThrowIfNullOrEmpty(id);
        return VfioPciFunction.ConnectVfioUser(socket, id);
    }
}
