namespace Vireo.VfioUser;

/// <summary>Guest memory as the client exposes it to the server's DMA_READ/DMA_WRITE
/// messages (ranges mapped without an fd). Throwing refuses the access (EFAULT reply).</summary>
public interface IVfioUserDmaTarget
{
    void Read(ulong address, Span<byte> destination);

    void Write(ulong address, ReadOnlySpan<byte> source);
}
