namespace Vireo.Acpi;

/// <summary>One _DSM function index and the terms that run for it; the body should end in a
/// Return when the function has a result.</summary>
public sealed class AmlDsmFunction
{
    private readonly IAml[] _body;

    /// <summary>
    /// Function <paramref name="index"/> (1 to 63; 0 is generated) running <paramref name="body"/>.
    /// </summary>
    public AmlDsmFunction(int index, params IEnumerable<IAml> body)
    {
        // Function 0 is the generated "supported functions" query (ACPI 6.5 §9.1.1).
        ArgumentOutOfRangeException.ThrowIfLessThan(index, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(index, 63);
        Index = index;
        _body = body.ToArray();
    }

    /// <summary>The function index, compared with Arg2.</summary>
    public int Index { get; }

    /// <summary>The terms that run when the function is called.</summary>
    public IReadOnlyList<IAml> Body => _body;
}
