namespace Vireo.Fdt;

/// <summary>The calls do not describe one well-formed tree (see <see cref="FdtStructureError"/>).</summary>
public sealed class FdtStructureException(FdtStructureError error, string message) : FdtException(message)
{
    /// <summary>Which rule was broken.</summary>
    public FdtStructureError Error { get; } = error;
}
