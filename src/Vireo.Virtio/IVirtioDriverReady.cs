namespace Vireo.Virtio;

/// <summary>A device with something to tell its driver as soon as the driver is ready: a console's
/// size, which Linux's virtio_console only reads on a configuration change.</summary>
public interface IVirtioDriverReady
{
    /// <summary>The driver set DRIVER_OK (under the transport's lock; the device must not call the
    /// transport).</summary>
    /// <returns>True when the driver should get a configuration change notification now.</returns>
    bool DriverReady();
}
