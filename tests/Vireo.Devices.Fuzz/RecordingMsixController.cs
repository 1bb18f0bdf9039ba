using Vireo.Pci;

namespace Vireo.Devices.Fuzz;

/// <summary>
/// The machine's MSI-X owner (Vireo.Vmm's MsixVectors, which routes vectors to KVM irqfds) as a
/// recorder: the function's table in a real <see cref="MsixTable"/>, the pending bits, Enable
/// and Function Mask, and each message it would have delivered (PCI 3.0 §6.8.2.9: a masked
/// vector's signal sets its pending bit and is delivered on unmask).
/// </summary>
public sealed class RecordingMsixController(int vectors) : IMsixController
{
    private readonly MsixTable _table = new(vectors);
    private readonly bool[] _pending = new bool[vectors];
    private bool _enabled;
    private bool _functionMasked;

    /// <inheritdoc/>
    public int Vectors => _table.Vectors;

    /// <summary>Messages delivered: the vector, its address and data at the time.</summary>
    public List<(int Vector, ulong Address, uint Data)> Delivered { get; } = [];

    /// <inheritdoc/>
    public void ReadTable(ulong offset, Span<byte> data) => _table.Read(offset, data);

    /// <inheritdoc/>
    public void WriteTable(ulong offset, ReadOnlySpan<byte> data)
    {
        _table.Write(offset, data);
        DeliverUnmasked();
    }

    /// <inheritdoc/>
    public void ReadPba(ulong offset, Span<byte> data) => MsixTable.ReadPba(Vectors, offset, data, v => _pending[v]);

    /// <inheritdoc/>
    public void SetControl(bool enabled, bool functionMasked)
    {
        _enabled = enabled;
        _functionMasked = functionMasked;
        DeliverUnmasked();
    }

    /// <inheritdoc/>
    public void Signal(int vector)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)vector, (uint)Vectors, nameof(vector));
        _pending[vector] = true;
        DeliverUnmasked();
    }

    private void DeliverUnmasked()
    {
        if (!_enabled || _functionMasked)
        {
            return;
        }
        for (int v = 0; v < _pending.Length; v++)
        {
            if (_pending[v] && !_table.IsMasked(v))
            {
                _pending[v] = false;
                Delivered.Add((v, _table.MessageAddress(v), _table.MessageData(v)));
            }
        }
    }
}
