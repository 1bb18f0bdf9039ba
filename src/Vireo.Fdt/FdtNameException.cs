namespace Vireo.Fdt;

/// <summary>A node or property name outside the Devicetree Specification's rules (v0.4 §2.2.1
/// node names, §2.2.4 property names: their character sets and 1-31 characters).</summary>
public sealed class FdtNameException(string name, string message) : FdtException(message)
{
    /// <summary>The refused name.</summary>
    public string Name { get; } = name;
}
