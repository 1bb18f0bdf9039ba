namespace Vireo.Acpi;

/// <summary>The functions a _DSM offers under one UUID.</summary>
public sealed class AmlDsmInterface
{
    private readonly AmlDsmFunction[] _functions;

    /// <summary>
    /// The functions answered for <paramref name="uuid"/>; their indices must be distinct.
    /// </summary>
    public AmlDsmInterface(Guid uuid, params IEnumerable<AmlDsmFunction> functions)
    {
        Uuid = uuid;
        _functions = functions.OrderBy(f => f.Index).ToArray();
        if (_functions.Select(f => f.Index).Distinct().Count() != _functions.Length)
        {
            throw new ArgumentException("each _DSM function index may appear once per UUID", nameof(functions));
        }
    }

    /// <summary>
    /// As the <see cref="Guid"/> overload, with the UUID in its text form ("xxxxxxxx-xxxx-…"), as
    /// ASL's ToUUID writes it.
    /// </summary>
    public AmlDsmInterface(string uuid, params IEnumerable<AmlDsmFunction> functions)
        : this(Guid.ParseExact(uuid, "D"), functions)
    {
    }

    /// <summary>The UUID compared with Arg0.</summary>
    public Guid Uuid { get; }

    /// <summary>The functions, which also give the mask function 0 returns.</summary>
    public IReadOnlyList<AmlDsmFunction> Functions => _functions;

    /// <summary>Function 0's result: bit n set when function n exists, and bit 0 set when any
    /// function besides 0 exists (ACPI 6.5 §9.1.1); as few bytes as hold the highest bit.</summary>
    public byte[] SupportedFunctionsMask()
    {
        if (_functions.Length == 0)
        {
            return [0];
        }
        var mask = new byte[(_functions[^1].Index / 8) + 1];
        mask[0] = 1;
        foreach (AmlDsmFunction function in _functions)
        {
            mask[function.Index / 8] |= (byte)(1 << (function.Index % 8));
        }
        return mask;
    }
}
