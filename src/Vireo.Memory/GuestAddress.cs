namespace Vireo.Memory;

/// <summary>An address in the guest's physical memory.</summary>
public readonly record struct GuestAddress(ulong Value) : IComparable<GuestAddress>
{
    /// <inheritdoc/>
    public int CompareTo(GuestAddress other) => Value.CompareTo(other.Value);

    /// <summary>
    /// The address in hex (<c>0x…</c>), as logs and error messages print guest addresses.
    /// </summary>
    public override string ToString() => $"0x{Value:x}";

    /// <summary>The address <paramref name="offset"/> bytes further, or an exception on overflow.</summary>
    public GuestAddress Add(ulong offset) => new(checked(Value + offset));

    /// <summary>The address <paramref name="offset"/> bytes further, or null on overflow.</summary>
    public GuestAddress? TryAdd(ulong offset) => offset > ulong.MaxValue - Value ? null : new(Value + offset);
}
