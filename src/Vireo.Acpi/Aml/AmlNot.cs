namespace Vireo.Acpi;

/// <summary>Not (operand, target), bitwise complement (ACPI 6.5 §20.2.5.4 DefNot).</summary>
internal sealed class AmlNot : IAml
{
    public AmlNot(IAml operand, IAml? target = null)
    {
        ArgumentNullException.ThrowIfNull(operand);
        Operand = operand;
        Target = target;
    }

    public IAml Operand { get; }

    public IAml? Target { get; }

    public void AppendTo(AmlSink sink)
    {
        sink.Byte(AmlOpcode.Not);
        Operand.AppendTo(sink);
        AmlTarget.Append(sink, Target);
    }
}
