using Vireo.Sys;

namespace Vireo.Virtio;

/// <summary>
/// Runs a block device's reads and writes off the queue's thread: the device hands over a
/// request's guest buffers (<see cref="TrySubmit"/>), goes on with the queue, and completes the
/// request when its result comes back (<see cref="Reap"/>). <see cref="CompletionSource"/> is
/// readable while results wait, so the machine's queue worker wakes for them as it does for a
/// guest's kick (the device is an <see cref="IVirtioHostEvents"/>).
/// </summary>
/// <remarks>Called by one thread at a time (the transport serialises the device). An engine may
/// refuse any request (its ring is full, a direct image's buffers are not aligned): the device
/// then serves that request synchronously through its <see cref="IBlockBackend"/>. Buffers stay
/// the caller's and must stay mapped until the request's result has been reaped.</remarks>
public interface IBlockIoEngine : IDisposable
{
    /// <summary>The engine's name, as <c>--disk …,io=</c> takes it.</summary>
    string Name { get; }

    /// <summary>Readable (epoll) while completed requests wait in <see cref="Reap"/>.</summary>
    SafeFd CompletionSource { get; }

    /// <summary>Queues a read (or, with <paramref name="write"/>, a write) of
    /// <paramref name="segments"/> at byte <paramref name="offset"/> of the disk, tagged
    /// <paramref name="tag"/>; it starts at the latest at the next <see cref="Submit"/>. The segment
    /// list itself may go when this returns.</summary>
    /// <returns>False when the engine does not take this request; nothing was queued.</returns>
    bool TrySubmit(bool write, long offset, ReadOnlySpan<IoSegment> segments, ulong tag);

    /// <summary>Queues an fdatasync of the disk, tagged <paramref name="tag"/>: it makes durable
    /// every write completed before it (a write still in flight is not covered, as virtio's
    /// flush asks).</summary>
    /// <returns>False when the engine does not take it; nothing was queued.</returns>
    bool TrySubmitFlush(ulong tag);

    /// <summary>Starts every request queued since the last call.</summary>
    void Submit();

    /// <summary>Takes the results ready now (bytes moved, or -errno), without waiting.</summary>
    /// <returns>How many were taken.</returns>
    int Reap(Span<IoCompletion> completions);

    /// <summary>Starts what is queued and waits until at least one result is ready (a reset
    /// waiting out its requests in flight).</summary>
    void WaitForCompletion();
}
