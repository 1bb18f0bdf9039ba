namespace Vireo.Memory;

/// <summary>An address in the guest's port I/O space.</summary>
public readonly record struct PioAddress(ushort Value) : IComparable<PioAddress>, IBusAddress
{
    ulong IBusAddress.Raw => Value;

    /// <inheritdoc/>
    public int CompareTo(PioAddress other) => Value.CompareTo(other.Value);

    /// <summary>The port in hex (<c>0x…</c>).</summary>
    public override string ToString() => $"0x{Value:x}";
}
