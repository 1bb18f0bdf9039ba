using Vireo.Sys;

namespace Vireo.Virtio;

/// <summary>A device that also serves the host side: a network device's tap, a socket
/// device's connections. When one of <see cref="HostEvents"/> becomes readable, the machine
/// serves the queue it names (<see cref="VirtioPciFunction.NotifyQueue"/>), as for a guest's
/// kick: the device then moves what the host has into the guest's buffers, under the
/// transport's lock.</summary>
/// <remarks>The machine waits edge-triggered: a source is reported once each time input
/// arrives. The device must read a source until it has nothing more (EAGAIN) or until the
/// guest has no buffer left; in the second case the guest's next kick of that queue is what
/// resumes it, so nothing is lost and no thread spins on input the guest cannot take yet.</remarks>
public interface IVirtioHostEvents
{
    /// <summary>The descriptors to wait on, each with the queue to serve when it is readable;
    /// fixed for the device's life (a device whose sources change exposes one epoll descriptor
    /// of its own).</summary>
    IReadOnlyList<VirtioHostEvent> HostEvents { get; }
}

/// <summary>A host descriptor a device waits on, and the queue to serve when it is readable.</summary>
/// <param name="Source">The descriptor (a tap, a socket, an epoll); the device owns it.</param>
/// <param name="Queue">The queue index to serve.</param>
public readonly record struct VirtioHostEvent(SafeFd Source, int Queue);
