namespace Vireo.VfioUser;

/// <summary>What a PCI device served over vfio-user may ask of whoever serves it: the
/// server's <see cref="IVfioUserBackendContext"/>, plus interrupts routed by the mode the guest
/// enabled in config space. <see cref="VfioUserPciDevice.Host"/> implements it; device tests can
/// fake it.</summary>
public interface IVfioUserDeviceHost : IVfioUserBackendContext
{
    /// <summary>Raises vector <paramref name="vector"/> of the interrupt mode the guest enabled
    /// (MSI-X, else MSI, else INTx as an edge the server automasks). False when nothing could be
    /// signalled (no eventfd, masked: then it is left pending).</summary>
    bool Interrupt(int vector);
}
