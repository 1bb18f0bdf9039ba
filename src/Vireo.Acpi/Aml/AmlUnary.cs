namespace Vireo.Acpi;

/// <summary><c>Op (operand)</c>: LNot, Increment, Decrement, DerefOf, SizeOf, RefOf, ObjectType
/// (ACPI 6.5 §20.2.5.4).</summary>
internal sealed class AmlUnary : IAml
{
    public AmlUnary(AmlUnaryOperator op, IAml operand)
    {
        ArgumentNullException.ThrowIfNull(operand);
        if (!Enum.IsDefined(op))
        {
            throw new ArgumentOutOfRangeException(nameof(op), op, "not a unary AML operator");
        }
        Operator = op;
        Operand = operand;
    }

    public AmlUnaryOperator Operator { get; }

    public IAml Operand { get; }

    public void AppendTo(AmlSink sink)
    {
        sink.Byte((byte)Operator);
        Operand.AppendTo(sink);
    }
}
