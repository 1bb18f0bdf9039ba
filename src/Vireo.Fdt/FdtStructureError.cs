namespace Vireo.Fdt;

/// <summary>How a sequence of writer calls fails to describe one well-formed tree.</summary>
public enum FdtStructureError
{
    /// <summary>An end with no node open (or a node scope ended out of order).</summary>
    UnbalancedEnd,

    /// <summary>A property written after the node's first child: DTSpec v0.4 §5.4.2 puts every
    /// property of a node before its children.</summary>
    PropertyAfterChild,

    /// <summary>A property (or child) written with no node open: the root comes first.</summary>
    NoOpenNode,

    /// <summary>A second top-level node: a tree has exactly one root.</summary>
    SecondRoot,

    /// <summary>The tree finished with nodes still open, or with no root at all.</summary>
    Unfinished,

    /// <summary>A call after <see cref="FdtWriter.Finish"/>.</summary>
    AlreadyFinished,
}
