namespace Vireo.Acpi;

/// <summary>One _DSM function index and the terms that run for it; the body should end in a
/// Return when the function has a result.</summary>
public sealed class AmlDsmFunction
{
    private readonly IAml[] _body;

    public AmlDsmFunction(int index, params IEnumerable<IAml> body)
    {
        // Function 0 is the generated "supported functions" query (ACPI 6.5 §9.1.1).
        ArgumentOutOfRangeException.ThrowIfLessThan(index, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(index, 63);
        Index = index;
        _body = body.ToArray();
    }

    public int Index { get; }

    public IReadOnlyList<IAml> Body => _body;
}
