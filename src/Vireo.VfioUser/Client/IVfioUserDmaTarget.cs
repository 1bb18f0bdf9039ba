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
}
