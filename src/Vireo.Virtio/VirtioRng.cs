using Vireo.Memory;

namespace Vireo.Virtio;

/// <summary>The entropy device (virtio 1.2 §5.4): one request queue whose writable buffers are
/// filled from a host source; no features and no configuration space.</summary>
public sealed class VirtioRng : IVirtioDevice
{
    /// <summary>Device ID of the entropy device (§5).</summary>
    public const ushort EntropyDeviceType = 4;

    /// <summary>The most bytes one request gets: a guest asking for gigabytes waits for nothing
    /// long; §5.4.6 lets the device fill less than offered.</summary>
    public const int MaxBytesPerRequest = 64 * 1024;

    /// <summary>The request queue's size.</summary>
    public const ushort QueueSize = 256;

    private readonly Action<Span<byte>> _source;

    /// <summary>An entropy device reading from <paramref name="source"/>, by default the host
    /// kernel's cryptographic generator (getrandom(2), what /dev/urandom serves).</summary>
    /// <param name="source">Fills a span with random bytes.</param>
    public VirtioRng(Action<Span<byte>>? source = null) => _source = source ?? Sys.HostRandom.Fill;

    /// <inheritdoc/>
    public ushort DeviceType => EntropyDeviceType;

    /// <inheritdoc/>
    public ulong Features => 0;

    /// <inheritdoc/>
    public IReadOnlyList<ushort> QueueMaxSizes { get; } = [QueueSize];

    /// <inheritdoc/>
    public int ConfigSize => 0;

    /// <inheritdoc/>
    public void ReadConfig(int offset, Span<byte> data) => data.Clear();

    /// <inheritdoc/>
    public void WriteConfig(int offset, ReadOnlySpan<byte> data)
    {
    }

    /// <inheritdoc/>
    public void ProcessQueue(int index, SplitVirtqueue queue, GuestMemory memory)
    {
        ArgumentNullException.ThrowIfNull(queue);
        ArgumentNullException.ThrowIfNull(memory);
        Span<byte> chunk = stackalloc byte[4096];
        while (queue.Pop() is DescriptorChain chain)
        {
            uint written = 0;
            foreach (VirtqBuffer buffer in chain.Buffers)
            {
                // §5.4.6.1: the device only writes; readable buffers are ignored.
                if (!buffer.Writable)
                {
                    continue;
                }
                uint done = 0;
                while (done < buffer.Length && written < MaxBytesPerRequest)
                {
                    int take = (int)Math.Min(Math.Min((uint)chunk.Length, buffer.Length - done), MaxBytesPerRequest - written);
                    _source(chunk[..take]);
                    try
                    {
                        memory.Write(buffer.Address.Add(done), chunk[..take]);
                    }
                    catch (GuestMemoryException e)
                    {
                        throw new VirtqueueException($"entropy buffer at {buffer.Address} is no longer guest RAM", e);
                    }
                    done += (uint)take;
                    written += (uint)take;
                }
            }
            queue.PushUsed(chain.Head, written);
        }
    }

    /// <inheritdoc/>
    /// <remarks>The entropy device has no feature bits of its own to act on.</remarks>
    public void FeaturesNegotiated(ulong features)
    {
    }

    /// <inheritdoc/>
    public void Reset()
    {
    }
}
