namespace Vireo.Acpi;

/// <summary>Field (region, access, lock, update) { units } (ACPI 6.5 §20.2.5.2 DefField).</summary>
public sealed class AmlField : IAml
{
    // FieldFlags bit 4 is LockRule (ACPI 6.5 §20.2.5.2).
    private const byte LockFlag = 0x10;

    private readonly AmlFieldUnit[] _units;

    public AmlField(AmlPath region, AmlFieldAccess access, bool locked, AmlFieldUpdate update, params IEnumerable<AmlFieldUnit> units)
    {
        ArgumentNullException.ThrowIfNull(region);
        if (!Enum.IsDefined(access) || !Enum.IsDefined(update))
        {
            throw new ArgumentOutOfRangeException(nameof(access), "undefined access type or update rule");
        }
        Region = region;
        Access = access;
        Locked = locked;
        Update = update;
        _units = units.ToArray();
    }

    public AmlPath Region { get; }

    public AmlFieldAccess Access { get; }

    public bool Locked { get; }

    public AmlFieldUpdate Update { get; }

    public IReadOnlyList<AmlFieldUnit> Units => _units;

    public void AppendTo(AmlSink sink) => sink.Package([AmlOpcode.ExtPrefix, AmlOpcode.ExtField], body =>
    {
        Region.AppendTo(body);
        body.Byte((byte)((byte)Access | (Locked ? LockFlag : 0) | ((byte)Update << 5)));
        foreach (AmlFieldUnit unit in _units)
        {
            unit.AppendTo(body);
        }
    });
}
