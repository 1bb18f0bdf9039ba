using System.Numerics;
using Vireo.Sys;

namespace Vireo.Vmm;

/// <summary>
/// The VMM side of a function's MSI capability (PCI 3.0 §6.8.1), single or multiple message: one
/// device eventfd per message the function supports, each an irqfd on its own MSI GSI while MSI
/// is enabled, the message is among those the guest allocated (Multiple Message Enable) and its
/// Mask Bit is clear. A masked message that the device signals is held in <see cref="PendingBits"/>
/// and delivered on unmask (§6.8.1.8). Created by <see cref="DeviceInterrupts.CreateMsi"/>;
/// thread-safety as <see cref="MsixVectors"/>.
/// </summary>
public sealed class MsiVectors : IDisposable
{
    private readonly object _gate = new();
    private readonly VectorSet _vectors;
    private bool _enabled;
    private int _allocated = 1;
    private ulong _address;
    private uint _data;
    private uint _maskBits;
    private bool _disposed;

    internal MsiVectors(GsiRouter router, IKvmInterrupts kvm, InterruptEventLoop loop, IReadOnlyList<EventFd> triggers, ushort requesterId)
    {
        ArgumentNullException.ThrowIfNull(triggers);
        // §6.8.1.3 Multiple Message Capable: 1, 2, 4, 8, 16 or 32 messages.
        if (triggers.Count is < 1 or > 32 || !BitOperations.IsPow2(triggers.Count))
        {
            throw new ArgumentException($"MSI has 1, 2, 4, 8, 16 or 32 messages, not {triggers.Count}", nameof(triggers));
        }
        _vectors = new VectorSet(_gate, router, kvm, loop, triggers, requesterId);
        lock (_gate)
        {
            Refresh();
        }
    }

    /// <summary>The number of messages the function supports.</summary>
    public int Vectors => _vectors.Count;

    /// <summary>
    /// The capability after a guest write: MSI Enable, the number of messages allocated
    /// (1 &lt;&lt; Multiple Message Enable, at most <see cref="Vectors"/>), the message address and
    /// data. Message i sends the data with its low log2(allocated) bits replaced by i (§6.8.1.6).
    /// </summary>
    public void SetMessage(bool enabled, int allocatedVectors, ulong address, uint data)
    {
        if (allocatedVectors < 1 || allocatedVectors > Vectors || !BitOperations.IsPow2(allocatedVectors))
        {
            throw new ArgumentOutOfRangeException(nameof(allocatedVectors), allocatedVectors, $"a power of two from 1 to {Vectors}");
        }
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            (_enabled, _allocated, _address, _data) = (enabled, allocatedVectors, address, data);
            Refresh();
        }
    }

    /// <summary>The Mask Bits register after a guest write (per-vector masking, §6.8.1.7).</summary>
    public void SetMaskBits(uint maskBits)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _maskBits = maskBits;
            Refresh();
        }
    }

    /// <summary>The Pending Bits register (§6.8.1.8): bit i for a masked message the device signalled.</summary>
    public uint PendingBits
    {
        get
        {
            lock (_gate)
            {
                uint bits = 0;
                for (int v = 0; v < _vectors.Count; v++)
                {
                    bits |= _vectors.IsPending(v) ? 1u << v : 0;
                }
                return bits;
            }
        }
    }

    /// <summary>The MSI GSI message <paramref name="vector"/> holds, if any.</summary>
    public uint? GsiOf(int vector)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)vector, (uint)Vectors, nameof(vector));
        lock (_gate)
        {
            return _vectors.GsiOf(vector);
        }
    }

    /// <summary>Removes the irqfds and watches and gives the GSIs back; the eventfds stay the device's.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            _vectors.Detach();
        }
    }

    private void Refresh()
    {
        uint low = (uint)_allocated - 1;
        for (int v = 0; v < _vectors.Count; v++)
        {
            bool enabled = _enabled && v < _allocated;
            _vectors.Set(v, enabled, (_maskBits & (1u << v)) != 0, _address, (_data & ~low) | (uint)v);
        }
        _vectors.Apply(0, _vectors.Count);
    }
}
