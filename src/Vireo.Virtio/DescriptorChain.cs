namespace Vireo.Virtio;

/// <summary>A descriptor chain popped from the available ring: its device-readable buffers
/// first, then its device-writable ones (virtio 1.2 §2.7.4.2), direct and indirect flattened.</summary>
public sealed class DescriptorChain
{
    internal DescriptorChain(ushort head, IReadOnlyList<VirtqBuffer> buffers)
    {
        Head = head;
        Buffers = buffers;
        foreach (VirtqBuffer buffer in buffers)
        {
            if (buffer.Writable)
            {
                WritableLength += buffer.Length;
            }
            else
            {
                ReadableLength += buffer.Length;
            }
        }
    }

    /// <summary>The head index, which goes back in the used ring.</summary>
    public ushort Head { get; }

    /// <summary>The buffers in chain order, readable before writable.</summary>
    public IReadOnlyList<VirtqBuffer> Buffers { get; }

    /// <summary>The total bytes the device may read.</summary>
    public ulong ReadableLength { get; }

    /// <summary>The total bytes the device may write.</summary>
    public ulong WritableLength { get; }
}
