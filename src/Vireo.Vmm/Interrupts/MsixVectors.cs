using Vireo.Pci;
using Vireo.Sys;

namespace Vireo.Vmm;

/// <summary>
/// The VMM side of a function's MSI-X: the guest's table (a <see cref="MsixTable"/>), the
/// Pending Bit Array, and the capability's MSI-X Enable and Function Mask bits, wired to KVM.
/// Each vector has one device eventfd (the device's trigger); while the vector is enabled and
/// unmasked that eventfd is an irqfd on the vector's MSI route, so the device interrupts the
/// guest without the VMM; while it is masked the VMM watches it, sets the vector's pending bit
/// when the device signals, and delivers it when the guest unmasks (PCI 3.0 §6.8.2.9).
/// Created by <see cref="DeviceInterrupts.CreateMsix"/>.
/// </summary>
/// <remarks>
/// Called from vCPU threads (the guest's table, PBA and capability accesses, possibly from two
/// vCPUs at once) and from the interrupt event thread; one lock per function serialises them.
/// A guest write costs at most one KVM_SET_GSI_ROUTING and one KVM_IRQFD per vector it changes.
/// </remarks>
public sealed class MsixVectors : IMsixController, IDisposable
{
    private readonly object _gate = new();
    private readonly MsixTable _table;
    private readonly VectorSet _vectors;
    private readonly Func<int, bool> _isPending;
    private bool _enabled;
    private bool _functionMasked;
    private bool _disposed;

    internal MsixVectors(GsiRouter router, IKvmInterrupts kvm, InterruptEventLoop loop, MsixTable table, IReadOnlyList<EventFd> triggers, ushort requesterId)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(triggers);
        if (triggers.Count != table.Vectors)
        {
            throw new ArgumentException($"MSI-X needs one eventfd per vector: the table has {table.Vectors}, {triggers.Count} were given", nameof(triggers));
        }
        _table = table;
        _vectors = new VectorSet(_gate, router, kvm, loop, triggers, requesterId);
        _isPending = _vectors.IsPending;
        lock (_gate)
        {
            Refresh(0, table.Vectors);
        }
    }

    /// <summary>The number of vectors (the table's size).</summary>
    public int Vectors => _table.Vectors;

    /// <summary>A guest write to the MSI-X table at <paramref name="offset"/> from the table's start.</summary>
    public void WriteTable(ulong offset, ReadOnlySpan<byte> data)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _table.Write(offset, data);
            if (offset >= (ulong)_table.TableLength || data.IsEmpty)
            {
                return;
            }
            int first = (int)(offset / MsixTable.EntrySize);
            int last = (int)Math.Min((offset + (ulong)data.Length - 1) / MsixTable.EntrySize, (ulong)_table.Vectors - 1);
            Refresh(first, last - first + 1);
        }
    }

    /// <summary>A guest read of the MSI-X table.</summary>
    public void ReadTable(ulong offset, Span<byte> data)
    {
        lock (_gate)
        {
            _table.Read(offset, data);
        }
    }

    /// <summary>A guest read of the Pending Bit Array at <paramref name="offset"/> from its start.
    /// (The PBA is read-only; the guest's writes to it are to be dropped.)</summary>
    public void ReadPba(ulong offset, Span<byte> data)
    {
        lock (_gate)
        {
            MsixTable.ReadPba(_table.Vectors, offset, data, _isPending);
        }
    }

    /// <summary>The capability's Message Control bits after a guest write: MSI-X Enable and
    /// Function Mask (PCI 3.0 §6.8.2.3). Disabling gives every vector's GSI back and clears the
    /// pending bits; clearing the function mask delivers what is pending on unmasked vectors.</summary>
    public void SetControl(bool enabled, bool functionMasked)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (enabled == _enabled && functionMasked == _functionMasked)
            {
                return;
            }
            _enabled = enabled;
            _functionMasked = functionMasked;
            Refresh(0, _table.Vectors);
        }
    }

    /// <summary>An emulated function raises <paramref name="vector"/> by signalling its eventfd,
    /// as a device in another process would: an irqfd while the vector is live, else the event
    /// loop sets its pending bit (masked) or drops it (disabled).</summary>
    public void Signal(int vector)
    {
        CheckVector(vector);
        _vectors.Signal(vector);
    }

    /// <summary>Whether vector <paramref name="vector"/>'s pending bit is set.</summary>
    public bool IsPending(int vector)
    {
        lock (_gate)
        {
            CheckVector(vector);
            return _vectors.IsPending(vector);
        }
    }

    /// <summary>Whether vector <paramref name="vector"/>'s eventfd is an irqfd now (enabled and unmasked).</summary>
    public bool IsLive(int vector)
    {
        lock (_gate)
        {
            CheckVector(vector);
            return _vectors.IsLive(vector);
        }
    }

    /// <summary>The MSI GSI vector <paramref name="vector"/> holds, if any (it holds one from
    /// its first unmask until MSI-X is disabled).</summary>
    public uint? GsiOf(int vector)
    {
        lock (_gate)
        {
            CheckVector(vector);
            return _vectors.GsiOf(vector);
        }
    }

    /// <summary>A function reset: MSI-X disabled, every entry zero and masked (PCI 3.0 §6.8.2.9).</summary>
    public void Reset()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _table.Reset();
            _enabled = false;
            _functionMasked = false;
            Refresh(0, _table.Vectors);
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

    private void Refresh(int first, int count)
    {
        for (int v = first; v < first + count; v++)
        {
            _vectors.Set(v, _enabled, _functionMasked || _table.IsMasked(v), _table.MessageAddress(v), _table.MessageData(v));
        }
        _vectors.Apply(first, count);
    }

    private void CheckVector(int vector) => ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)vector, (uint)_table.Vectors, nameof(vector));
}
