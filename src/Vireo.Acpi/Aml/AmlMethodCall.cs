namespace Vireo.Acpi;

/// <summary>A method invocation: the method's NameString followed by its arguments
/// (ACPI 6.5 §20.2.5 MethodInvocation).</summary>
internal sealed class AmlMethodCall : IAml
{
    private readonly IAml[] _args;

    public AmlMethodCall(AmlPath method, params IEnumerable<IAml> args)
    {
        ArgumentNullException.ThrowIfNull(method);
        Method = method;
        _args = args.ToArray();
        ArgumentOutOfRangeException.ThrowIfGreaterThan(_args.Length, 7, nameof(args));
    }

    public AmlPath Method { get; }

    public IReadOnlyList<IAml> Args => _args;

    public void AppendTo(AmlSink sink)
    {
        Method.AppendTo(sink);
        sink.Append(_args);
    }
}
