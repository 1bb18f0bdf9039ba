namespace Vireo.Acpi;

/// <summary>OperationRegion (name, space, offset, length) (ACPI 6.5 §20.2.5.2 DefOpRegion).</summary>
public sealed class AmlOperationRegion : IAml
{
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

    public AmlOperationRegion(AmlPath name, AcpiAddressSpace space, ulong offset, ulong length)
        : this(name, space, new AmlInteger(offset), new AmlInteger(length))
    {
    }

    public AmlPath Name { get; }

    public AcpiAddressSpace Space { get; }

    public IAml Offset { get; }

    public IAml Length { get; }

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
