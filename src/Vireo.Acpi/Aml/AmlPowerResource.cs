namespace Vireo.Acpi;

/// <summary>PowerResource (name, systemLevel, resourceOrder) { terms } (ACPI 6.5 §20.2.5.2
/// DefPowerRes, §7.2). The body usually holds _STA, _ON and _OFF.</summary>
internal sealed class AmlPowerResource : IAml
{
    private readonly IAml[] _children;

    public AmlPowerResource(AmlPath name, byte systemLevel, ushort resourceOrder, params IEnumerable<IAml> children)
    {
        ArgumentNullException.ThrowIfNull(name);
        Name = name;
        SystemLevel = systemLevel;
        ResourceOrder = resourceOrder;
        _children = children.ToArray();
    }

    public AmlPath Name { get; }

    public byte SystemLevel { get; }

    public ushort ResourceOrder { get; }

    public IReadOnlyList<IAml> Children => _children;

    public void AppendTo(AmlSink sink) => sink.Package([AmlOpcode.ExtPrefix, AmlOpcode.ExtPowerResource], body =>
    {
        Name.AppendTo(body);
        body.Byte(SystemLevel);
        body.Word(ResourceOrder);
        body.Append(_children);
    });
}
