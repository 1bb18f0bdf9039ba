using Vireo.Sys;

namespace Vireo.VfioUser;

/// <summary>An ioeventfd the server offers for a region: register <see cref="Fd"/> with
/// KVM_IOEVENTFD at the BAR's guest address plus <see cref="Entry"/>'s offset (flags and
/// datamatch as given), or signal it yourself; either way the device sees the write. Owns the fd.</summary>
public sealed class RegionIoEventFd : IDisposable
{
    public RegionIoEventFd(SubRegionIoEventFd entry, SafeFd fd)
    {
        Entry = entry;
        Fd = fd;
    }

    public SubRegionIoEventFd Entry { get; }

    public SafeFd Fd { get; }

    public bool HasDataMatch => (Entry.Flags & IoEventFdFlags.DataMatch) != 0;

    public void Dispose() => Fd.Dispose();
}
