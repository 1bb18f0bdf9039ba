namespace Vireo.Fdt;

/// <summary>A value the flattened format cannot carry: a string with a NUL in it, a phandle of 0
/// or 0xffffffff, an empty memory reservation (which would read as the list's end).</summary>
public sealed class FdtValueException(string message) : FdtException(message);
