namespace Vireo.Acpi;

/// <summary>OperationRegion (name, space, offset, length) (ACPI 6.5 §20.2.5.2 DefOpRegion).</summary>
public sealed class AmlOperationRegion : IAml
{
    /// <summary>
    /// OperationRegion (<paramref name="name"/>, <paramref name="space"/>, <paramref
    /// name="offset"/>, <paramref name="length"/>) with computed offset and length terms.
    /// </summary>
    public AmlOperationRegion(AmlPath name, AcpiAddressSpace space, IAml offset, IAml length)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(offset);
        ArgumentNullException.ThrowIfNull(length);
        Name = name;
        Space = space;
        Offset = offset;
        Length = length;
    }

    /// <summary>
    /// As the term overload, with constant <paramref name="offset"/> and <paramref name="length"/>
    /// (e.g. a port and its width).
    /// </summary>
    public AmlOperationRegion(AmlPath name, AcpiAddressSpace space, ulong offset, ulong length)
        : this(name, space, new AmlInteger(offset), new AmlInteger(length))
    {
    }

    /// <summary>The region's name, which Fields refer to.</summary>
    public AmlPath Name { get; }

    /// <summary>The address space the region lies in.</summary>
    public AcpiAddressSpace Space { get; }

    /// <summary>The region's start within <see cref="Space"/>.</summary>
    public IAml Offset { get; }

    /// <summary>The region's length in bytes.</summary>
    public IAml Length { get; }

    /// <inheritdoc/>
    public void AppendTo(AmlSink sink)
    {
        sink.Byte(AmlOpcode.ExtPrefix);
        sink.Byte(AmlOpcode.ExtOpRegion);
        Name.AppendTo(sink);
        sink.Byte((byte)Space);
        Offset.AppendTo(sink);
        Length.AppendTo(sink);
    }
}
