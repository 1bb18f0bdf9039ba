namespace Vireo.Vmm;

/// <summary>One resource range and who holds it: [<paramref name="Start"/>, <paramref name="Start"/> + <paramref name="Length"/>).</summary>
public sealed record ResourceAssignment(ResourceKind Kind, ulong Start, ulong Length, string Owner)
{
    /// <summary>One past the last unit of the range.</summary>
    public ulong End => Start + Length;

    /// <summary>The kind, the range and the owner.</summary>
    public override string ToString() => Kind switch
    {
        ResourceKind.Pio or ResourceKind.Mmio => $"{Kind} 0x{Start:x}-0x{End - 1:x} ({Owner})",
        _ => Length == 1 ? $"{Kind} {Start} ({Owner})" : $"{Kind} {Start}-{End - 1} ({Owner})",
    };
}
