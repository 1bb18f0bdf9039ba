namespace Vireo.Acpi;

/// <summary>While (predicate) { terms } (ACPI 6.5 §20.2.5.3 DefWhile).</summary>
public sealed class AmlWhile : IAml
{
    private readonly IAml[] _body;

    /// <summary>While (<paramref name="predicate"/>) { <paramref name="body"/> }.</summary>
    public AmlWhile(IAml predicate, params IEnumerable<IAml> body)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        Predicate = predicate;
        _body = body.ToArray();
    }

    /// <summary>The condition tested before each iteration.</summary>
    public IAml Predicate { get; }

    /// <summary>The terms of the loop body, in order.</summary>
    public IReadOnlyList<IAml> Body => _body;

    /// <inheritdoc/>
    public void AppendTo(AmlSink sink) => sink.Package([AmlOpcode.While], body =>
    {
        Predicate.AppendTo(body);
        body.Append(_body);
    });
}
