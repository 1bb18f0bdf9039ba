namespace Vireo.Acpi;

/// <summary>Method (path, argCount, Serialized|NotSerialized, syncLevel) { terms }
/// (ACPI 6.5 §20.2.5.2 DefMethod, §19.6.85).</summary>
public sealed class AmlMethod : IAml
{
    private readonly IAml[] _body;

    /// <summary>
    /// Method (<paramref name="path"/>, <paramref name="argCount"/>, Serialized or NotSerialized) {
    /// <paramref name="body"/> }; <paramref name="argCount"/> is 0 to 7.
    /// </summary>
    public AmlMethod(AmlPath path, int argCount, bool serialized, params IEnumerable<IAml> body)
    {
        ArgumentNullException.ThrowIfNull(path);
        // MethodFlags bits 0-2 hold ArgCount (ACPI 6.5 §20.2.5.2).
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)argCount, 7u, nameof(argCount));
        Path = path;
        ArgCount = argCount;
        Serialized = serialized;
        _body = body.ToArray();
    }

    /// <summary>The method's name.</summary>
    public AmlPath Path { get; }

    /// <summary>How many arguments (Arg0…) the method takes, 0 to 7.</summary>
    public int ArgCount { get; }

    /// <summary>
    /// Whether the interpreter runs at most one invocation at a time (Serialized, SyncLevel 0).
    /// </summary>
    public bool Serialized { get; }

    /// <summary>SyncLevel, bits 4-7 of MethodFlags; only meaningful for serialized methods.</summary>
    public int SyncLevel
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)value, 15u, nameof(SyncLevel));
            field = value;
        }
    }

    /// <summary>The terms of the method body, in order.</summary>
    public IReadOnlyList<IAml> Body => _body;

    /// <inheritdoc/>
    public void AppendTo(AmlSink sink) => sink.Package([AmlOpcode.Method], body =>
    {
        Path.AppendTo(body);
        // MethodFlags: bits 0-2 ArgCount, bit 3 SerializeFlag, bits 4-7 SyncLevel.
        body.Byte((byte)(ArgCount | (Serialized ? 0x08 : 0) | (SyncLevel << 4)));
        body.Append(_body);
    });
}
