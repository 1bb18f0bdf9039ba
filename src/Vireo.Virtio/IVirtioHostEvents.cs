using Vireo.Sys;

namespace Vireo.Virtio;

/// <summary>A device that also serves the host side: a network device's tap, a socket device's
/// connections. The machine's queue worker waits on <see cref="HostEventSources"/> next to the
/// queues' doorbells; when source i is readable it calls <see cref="ServeHostEvent"/> (no lock
/// held) and then serves the queues that returned, as for a guest's kick, so what the host has
/// goes into the guest's buffers under the transport's lock.</summary>
/// <remarks>The sources are level-triggered. A device that cannot take a source's input for now
/// (the guest has no buffer for the next frame) says so through <see cref="WantsHostEvent"/>,
/// which the worker asks after every queue it served: it stops waiting on that source until the
/// answer changes (the guest posted buffers and kicked), so no thread spins on input the guest
/// cannot take, and none is lost.</remarks>
public interface IVirtioHostEvents
{
    /// <summary>The descriptors to wait on, owned by the device; fixed for its life (a device whose
    /// sources change exposes one epoll descriptor of its own).</summary>
    IReadOnlyList<SafeFd> HostEventSources { get; }

    /// <summary>Source <paramref name="index"/> is readable: does the host-side work it needs
    /// that takes no transport lock, and returns the queues to serve now (bit q for queue q).</summary>
    /// <param name="index">The source's index in <see cref="HostEventSources"/>.</param>
    ulong ServeHostEvent(int index);

    /// <summary>Whether source <paramref name="index"/> should be waited on now: false while the
    /// device would leave its input where it is.</summary>
    /// <param name="index">The source's index in <see cref="HostEventSources"/>.</param>
    bool WantsHostEvent(int index);

    /// <summary>Whether the device has guest requests in flight on the host (a disk's reads and
    /// writes in its I/O engine) whose results come through <see cref="HostEventSources"/>: a
    /// worker asked to stand still (for a snapshot) serves those sources until this is false, so
    /// every request the guest made is complete in its RAM and rings. False for a device that
    /// completes each request while serving its queue.</summary>
    bool Busy => false;
}
