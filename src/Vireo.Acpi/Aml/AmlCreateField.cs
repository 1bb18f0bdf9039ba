namespace Vireo.Acpi;

/// <summary>CreateDWordField (source, index, name) and its Bit/Byte/Word/QWord siblings
/// (ACPI 6.5 §20.2.5.2 DefCreateDWordField etc.).</summary>
internal sealed class AmlCreateField : IAml
{
    public AmlCreateField(AmlCreateFieldKind kind, IAml source, IAml index, AmlPath name)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(name);
        if (!Enum.IsDefined(kind))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a CreateXField kind");
        }
        Kind = kind;
        Source = source;
        IndexValue = index;
        Name = name;
    }

    public AmlCreateFieldKind Kind { get; }

    public IAml Source { get; }

    public IAml IndexValue { get; }

    public AmlPath Name { get; }

    public void AppendTo(AmlSink sink)
    {
        sink.Byte((byte)Kind);
        Source.AppendTo(sink);
        IndexValue.AppendTo(sink);
        Name.AppendTo(sink);
    }
}
