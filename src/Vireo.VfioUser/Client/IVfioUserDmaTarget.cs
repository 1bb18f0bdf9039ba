namespace Vireo.VfioUser;

/// <summary>Guest memory as the client exposes it to the server's DMA_READ/DMA_WRITE
/// messages (ranges mapped without an fd). Throwing refuses the access (EFAULT reply).</summary>
public interface IVfioUserDmaTarget
{
    /// <summary>Serves a DMA_READ: fills <paramref name="destination"/> from guest memory at <paramref name="address"/>.</summary>
    /// <param name="address">The guest physical address the server asked for.</param>
    /// <param name="destination">As many bytes as the server asked for.</param>
    void Read(ulong address, Span<byte> destination);

    /// <summary>Serves a DMA_WRITE: copies <paramref name="source"/> to guest memory at <paramref name="address"/>.</summary>
    /// <param name="address">The guest physical address the server writes.</param>
    /// <param name="source">The bytes the server sent.</param>
    void Write(ulong address, ReadOnlySpan<byte> source);

    /// <summary>Lends guest memory in place, so a DMA_READ reply is sent straight from it and a
    /// DMA_WRITE's data received straight into it, with no copy in between. The client uses the
    /// span only while it serves that one message. The default lends nothing: the client then
    /// moves the data through a pooled buffer with <see cref="Read"/> and <see cref="Write"/>.
    /// Throwing refuses the access (EFAULT reply).</summary>
    /// <param name="address">The guest physical address the server asked for.</param>
    /// <param name="length">How many bytes it asked for.</param>
    /// <param name="forWrite">True for a DMA_WRITE: the span will be written.</param>
    /// <param name="memory">Exactly <paramref name="length"/> bytes of guest memory at <paramref name="address"/>.</param>
    /// <returns>False when the range cannot be lent (the copying path serves it).</returns>
    bool TryGetSpan(ulong address, int length, bool forWrite, out Span<byte> memory)
    {
        memory = default;
        return false;
    }
}
