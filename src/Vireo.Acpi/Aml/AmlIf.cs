namespace Vireo.Acpi;

/// <summary>If (predicate) { terms } with an optional Else { terms } (ACPI 6.5 §20.2.5.3
/// DefIfElse, DefElse). ElseIf is an Else holding a single If, as iasl emits it.</summary>
public sealed class AmlIf : IAml
{
    private readonly IAml[] _then;

    /// <summary>If (<paramref name="predicate"/>) { <paramref name="then"/> }.</summary>
    public AmlIf(IAml predicate, params IEnumerable<IAml> then)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        Predicate = predicate;
        _then = then.ToArray();
    }

    /// <summary>The condition.</summary>
    public IAml Predicate { get; }

    /// <summary>The terms run when the condition is non-zero, in order.</summary>
    public IReadOnlyList<IAml> Then => _then;

    /// <summary>The terms of the Else branch, or null for no Else.</summary>
    public IReadOnlyList<IAml>? Else { get; init; }

    /// <inheritdoc/>
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
