using Vireo.Sys;

namespace Vireo.Virtio;

/// <summary>
/// A raw image's reads and writes through an io_uring (<see cref="IoUring"/>): every request a
/// queue pass takes goes to the kernel in one io_uring_enter, reads the page cache holds complete
/// inside it, and the rest complete while the queue thread sleeps in epoll on the ring.
/// </summary>
/// <remarks>A direct image's request whose buffers are not aligned as O_DIRECT needs is refused
/// (the device serves it through the backend's bounce buffer), as is every request while the ring
/// is full. The ring is made when the engine is, before the VMM confines its threads;
/// submitting needs only io_uring_enter afterwards. The ring itself is confined to the image
/// (<see cref="IoUring.Create"/>'s onlyFile): readv, writev and fdatasync of that one file, nothing else.</remarks>
public sealed class UringBlockIo : IBlockIoEngine
{
    private readonly RawFileBackend _backend;
    private readonly IoUring _ring;

    /// <summary>An io_uring of <paramref name="entries"/> requests for <paramref name="backend"/>,
    /// which stays the caller's and must outlive the engine.</summary>
    /// <exception cref="ErrnoException">The kernel refused io_uring (see <see cref="IoUring.Create"/>).</exception>
    /// <exception cref="NotSupportedException">The kernel's io_uring is older than Linux 5.5.</exception>
    public UringBlockIo(RawFileBackend backend, uint entries = VirtioBlock.QueueSize)
    {
        ArgumentNullException.ThrowIfNull(backend);
        _backend = backend;
        // Confined to the image: the ring's kernel threads can do nothing else, whatever a
        // compromised device thread submits.
        _ring = IoUring.Create(entries, (int)VirtioBlock.MaxSegments + 2, onlyFile: backend.Handle);
    }

    /// <inheritdoc/>
    public string Name => "uring";

    /// <inheritdoc/>
    public SafeFd CompletionSource => _ring.Handle;

    /// <inheritdoc/>
    public bool TrySubmit(bool write, long offset, ReadOnlySpan<IoSegment> segments, ulong tag)
        => (!write || !_backend.ReadOnly) && _backend.TransfersInPlace(offset, segments, write)
            && _ring.TryPrepareVectored(write, _backend.Handle, offset, segments, tag);

    /// <inheritdoc/>
    public bool TrySubmitFlush(ulong tag) => _ring.TryPrepareDataSync(_backend.Handle, tag);

    /// <inheritdoc/>
    public void Submit()
    {
        // The kernel may take fewer than offered (a submission it failed ends its batch; the
        // failure is that request's completion): offer the rest again.
        while (_ring.Pending > 0 && _ring.Submit() > 0)
        {
        }
    }

    /// <inheritdoc/>
    public int Reap(Span<IoCompletion> completions) => _ring.Reap(completions);

    /// <inheritdoc/>
    public void WaitForCompletion() => _ring.Submit(waitFor: 1);

    /// <summary>Closes the ring.</summary>
    public void Dispose() => _ring.Dispose();
}
