namespace Vireo.Acpi;

/// <summary>PowerResource (name, systemLevel, resourceOrder) { terms } (ACPI 6.5 §20.2.5.2
/// DefPowerRes, §7.2). The body usually holds _STA, _ON and _OFF.</summary>
public sealed class AmlPowerResource : IAml
{
    private readonly IAml[] _children;

    /// <summary>
    /// PowerResource (<paramref name="name"/>, <paramref name="systemLevel"/>, <paramref
    /// name="resourceOrder"/>) { <paramref name="children"/> }.
    /// </summary>
    public AmlPowerResource(AmlPath name, byte systemLevel, ushort resourceOrder, params IEnumerable<IAml> children)
    {
        ArgumentNullException.ThrowIfNull(name);
        Name = name;
        SystemLevel = systemLevel;
        ResourceOrder = resourceOrder;
        _children = children.ToArray();
    }

    /// <summary>The resource's name, which _PRx packages refer to.</summary>
    public AmlPath Name { get; }

    /// <summary>The deepest system sleep state in which the resource must stay on (ACPI 6.5 §7.2).</summary>
    public byte SystemLevel { get; }

    /// <summary>The order OSPM turns resources on (ascending) and off (descending) in.</summary>
    public ushort ResourceOrder { get; }

    /// <summary>The objects declared in the resource, in order.</summary>
    public IReadOnlyList<IAml> Children => _children;

    /// <inheritdoc/>
    public void AppendTo(AmlSink sink) => sink.Package([AmlOpcode.ExtPrefix, AmlOpcode.ExtPowerResource], body =>
    {
        Name.AppendTo(body);
        body.Byte(SystemLevel);
        body.Word(ResourceOrder);
        body.Append(_children);
    });
}
