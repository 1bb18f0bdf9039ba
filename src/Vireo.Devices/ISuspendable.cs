namespace Vireo.Devices;

/// <summary>
/// A device that takes part in the VM's power transitions, in the manner of crosvm's
/// <c>Suspendable</c>. The control loop calls <see cref="Sleep"/> once every vCPU is held (a host
/// pause, or the guest suspended to idle with its vCPUs parked) and <see cref="Wake"/> before any
/// vCPU runs again, always in pairs and never concurrently (from the control loop's thread, or
/// from a wake's release the loop armed and serialises with, its <c>S2IdleWakeLatch</c>). While
/// asleep a device starts no work of its own: no timer fires into the guest, no worker thread
/// touches its registers, no input is delivered; what arrives meanwhile waits.
/// <see cref="Snapshot"/> returns the device's state record (the same one its <c>FromState</c>
/// restores), taken while it is asleep so it is consistent. Per-device D-states (an assigned device going to D3cold) plug in here later.
/// </summary>
public interface ISuspendable
{
    /// <summary>The name the device has in logs and events.</summary>
    string PowerName { get; }

    /// <summary>Stops the device's own activity; returns once it has stopped.</summary>
    void Sleep();

    /// <summary>Lets the device's own activity resume, delivering what waited.</summary>
    void Wake();

    /// <summary>The device's state record, for snapshot and register-list migration.</summary>
    object Snapshot();
}
