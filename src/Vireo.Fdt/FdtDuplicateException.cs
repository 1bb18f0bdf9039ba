namespace Vireo.Fdt;

/// <summary>A second property, or a second child node, of one name in the same node.</summary>
public sealed class FdtDuplicateException(string name, string message) : FdtException(message)
{
    /// <summary>The repeated name.</summary>
    public string Name { get; } = name;
}
