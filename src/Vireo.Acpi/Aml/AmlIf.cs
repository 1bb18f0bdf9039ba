namespace Vireo.Acpi;

/// <summary>If (predicate) { terms } with an optional Else { terms } (ACPI 6.5 §20.2.5.3
/// DefIfElse, DefElse). ElseIf is an Else holding a single If, as iasl emits it.</summary>
internal sealed class AmlIf : IAml
{
    private readonly IAml[] _then;

    public AmlIf(IAml predicate, params IEnumerable<IAml> then)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        Predicate = predicate;
        _then = then.ToArray();
    }

    public IAml Predicate { get; }

    public IReadOnlyList<IAml> Then => _then;

    public IReadOnlyList<IAml>? Else { get; init; }

    public void AppendTo(AmlSink sink)
    {
        sink.Package([AmlOpcode.If], body =>
        {
            Predicate.AppendTo(body);
            body.Append(_then);
        });
        if (Else is not null)
        {
            sink.Package([AmlOpcode.Else], body => body.Append(Else));
        }
    }
}
