namespace Vireo.Fdt;

/// <summary>A device tree that <see cref="FdtWriter"/> refuses to write; the subclass says which
/// rule of the Devicetree Specification (or of the caller's size limit) it breaks.</summary>
public abstract class FdtException(string message) : Exception(message);
