namespace Vireo.Acpi;

/// <summary>A _DSM method (ACPI 6.5 §9.1.1) that dispatches on Arg0 (UUID) and Arg2 (function
/// index). Function 0 returns the generated supported-functions mask. Equivalent ASL:
/// <code>
/// Method (_DSM, 4, NotSerialized)
/// {
///     If ((Arg0 == ToUUID ("...")))
///     {
///         If ((Arg2 == Zero)) { Return (Buffer (One) { mask }) }
///         If ((Arg2 == n)) { body of function n }
///         Return (Zero)
///     }
///     Return (Buffer (One) { 0x00 })
/// }
/// </code>
/// The revision (Arg1) is not checked; function bodies may read it.</summary>
public sealed class AmlDsm : IAml
{
    private readonly AmlDsmInterface[] _interfaces;

    /// <summary>
    /// A _DSM answering for each of <paramref name="interfaces"/> (one UUID each); any other UUID
    /// gets an empty function mask.
    /// </summary>
    public AmlDsm(params IEnumerable<AmlDsmInterface> interfaces)
    {
        _interfaces = interfaces.ToArray();
    }

    /// <summary>
    /// Declares the method Serialized, for bodies that create named objects or must not run
    /// concurrently.
    /// </summary>
    public bool Serialized { get; init; }

    /// <summary>The UUIDs answered, in the order they are tested.</summary>
    public IReadOnlyList<AmlDsmInterface> Interfaces => _interfaces;

    /// <inheritdoc/>
    public void AppendTo(AmlSink sink)
    {
        var arg0 = new AmlArg(0);
        var arg2 = new AmlArg(2);
        var body = new List<IAml>();
        foreach (AmlDsmInterface dsm in _interfaces)
        {
            var branch = new List<IAml>
            {
                new AmlIf(new AmlCompare(AmlCompareOperator.LEqual, arg2, AmlInteger.Zero),
                    new AmlReturn(new AmlBuffer(dsm.SupportedFunctionsMask()))),
            };
            foreach (AmlDsmFunction function in dsm.Functions)
            {
                branch.Add(new AmlIf(new AmlCompare(AmlCompareOperator.LEqual, arg2, new AmlInteger((ulong)function.Index)), function.Body));
            }
            branch.Add(new AmlReturn(AmlInteger.Zero));
            body.Add(new AmlIf(new AmlCompare(AmlCompareOperator.LEqual, arg0, new AmlUuid(dsm.Uuid)), branch));
        }
        // An unknown UUID answers function 0 with "nothing supported" (ACPI 6.5 §9.1.1).
        body.Add(new AmlReturn(new AmlBuffer([0])));
        new AmlMethod("_DSM", 4, Serialized, body).AppendTo(sink);
    }
}
