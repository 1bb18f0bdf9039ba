namespace Vireo.Virtio;

/// <summary>The queues of a <see cref="VirtioVsock"/> that have work after
/// <see cref="VirtioVsock.ProcessHostEvents"/> or <see cref="VirtioVsock.TransportReset"/>: the
/// machine then calls the transport's <see cref="VirtioPciFunction.NotifyQueue"/> for each.</summary>
[Flags]
public enum VirtioVsockWork
{
    /// <summary>Nothing to do.</summary>
    None = 0,
    /// <summary>Packets wait for rx buffers: serve <see cref="VirtioVsock.RxQueue"/>.</summary>
    Receive = 1,
    /// <summary>The device stopped taking tx packets while its replies were piling up and can take
    /// them again: serve <see cref="VirtioVsock.TxQueue"/>.</summary>
    Transmit = 2,
    /// <summary>An event waits for an event buffer: serve <see cref="VirtioVsock.EventQueue"/>.</summary>
    Event = 4,
}
