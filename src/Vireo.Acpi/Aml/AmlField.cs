namespace Vireo.Acpi;

/// <summary>Field (region, access, lock, update) { units } (ACPI 6.5 §20.2.5.2 DefField).</summary>
public sealed class AmlField : IAml
{
    // FieldFlags bit 4 is LockRule (ACPI 6.5 §20.2.5.2).
    private const byte LockFlag = 0x10;

    private readonly AmlFieldUnit[] _units;

    /// <summary>
    /// A field over <paramref name="region"/> with the given access width, Lock rule and update
    /// rule, made of <paramref name="units"/> in bit order.
    /// </summary>
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

    /// <summary>The OperationRegion the field lies in.</summary>
    public AmlPath Region { get; }

    /// <summary>The access width the interpreter uses for each unit.</summary>
    public AmlFieldAccess Access { get; }

    /// <summary>True for Lock: the interpreter takes the global lock around each access.</summary>
    public bool Locked { get; }

    /// <summary>
    /// What the interpreter writes to the bits of an access outside the unit being written.
    /// </summary>
    public AmlFieldUpdate Update { get; }

    /// <summary>The units, laid out from bit 0 of the region in order.</summary>
    public IReadOnlyList<AmlFieldUnit> Units => _units;

    /// <inheritdoc/>
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
