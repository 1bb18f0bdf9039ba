namespace Vireo.Memory;

/// <summary>An address in the guest's physical MMIO space.</summary>
public readonly record struct MmioAddress(ulong Value) : IComparable<MmioAddress>, IBusAddress
{
    ulong IBusAddress.Raw => Value;

    /// <inheritdoc/>
    public int CompareTo(MmioAddress other) => Value.CompareTo(other.Value);

    /// <summary>The address in hex (<c>0x…</c>).</summary>
    public override string ToString() => $"0x{Value:x}";

    /// <summary>The address <paramref name="offset"/> bytes further, or an exception on overflow.</summary>
    public MmioAddress Add(ulong offset) => new(checked(Value + offset));

    /// <summary>The address <paramref name="offset"/> bytes further, or null on overflow.</summary>
    public MmioAddress? TryAdd(ulong offset) => offset > ulong.MaxValue - Value ? null : new(Value + offset);
}
