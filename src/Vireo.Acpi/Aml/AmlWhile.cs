namespace Vireo.Acpi;

/// <summary>While (predicate) { terms } (ACPI 6.5 §20.2.5.3 DefWhile).</summary>
internal sealed class AmlWhile : IAml
{
    private readonly IAml[] _body;

    public AmlWhile(IAml predicate, params IEnumerable<IAml> body)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        Predicate = predicate;
        _body = body.ToArray();
    }

    public IAml Predicate { get; }

    public IReadOnlyList<IAml> Body => _body;

    public void AppendTo(AmlSink sink) => sink.Package([AmlOpcode.While], body =>
    {
        Predicate.AppendTo(body);
        body.Append(_body);
    });
}
