namespace Vireo.Fdt;

/// <summary>An open node, returned by <see cref="FdtWriter.BeginNode"/>; disposing it ends that node,
/// so <c>using (fdt.BeginNode("cpus")) { ... }</c> keeps the nesting balanced.</summary>
public readonly struct FdtNode : IDisposable
{
    private readonly FdtWriter? _writer;
    private readonly int _depth;

    internal FdtNode(FdtWriter writer, int depth)
    {
        _writer = writer;
        _depth = depth;
    }

    /// <summary>Ends this node; an <see cref="FdtStructureException"/> if it is not the innermost
    /// open one.</summary>
    public void Dispose() => _writer?.EndNode(_depth);
}
