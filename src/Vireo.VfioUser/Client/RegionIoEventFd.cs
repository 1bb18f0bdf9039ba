using Vireo.Sys;

namespace Vireo.VfioUser;

/// <summary>An ioeventfd the server offers for a region: register <see cref="Fd"/> with
/// KVM_IOEVENTFD at the BAR's guest address plus <see cref="Entry"/>'s offset (flags and
/// datamatch as given), or signal it yourself; either way the device sees the write. Owns the fd.</summary>
public sealed class RegionIoEventFd : IDisposable
{
    /// <summary>Pairs an entry with its fd, taking ownership of <paramref name="fd"/>.</summary>
    /// <param name="entry">The entry as the server described it.</param>
    /// <param name="fd">The eventfd the server passed for it.</param>
    public RegionIoEventFd(SubRegionIoEventFd entry, SafeFd fd)
    {
        Entry = entry;
        Fd = fd;
    }

    /// <summary>Where in the region the eventfd applies, its size, flags and datamatch.</summary>
    public SubRegionIoEventFd Entry { get; }

    /// <summary>The eventfd; owned by this object.</summary>
    public SafeFd Fd { get; }

    /// <summary>Whether only writes of <see cref="SubRegionIoEventFd.DataMatch"/> are to signal the eventfd.</summary>
    public bool HasDataMatch => (Entry.Flags & IoEventFdFlags.DataMatch) != 0;

    /// <summary>Closes the eventfd.</summary>
    public void Dispose() => Fd.Dispose();
}
