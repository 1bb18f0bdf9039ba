namespace Vireo.Acpi;

/// <summary><c>Op (operand)</c>: LNot, Increment, Decrement, DerefOf, SizeOf, RefOf, ObjectType
/// (ACPI 6.5 §20.2.5.4).</summary>
public sealed class AmlUnary : IAml
{
    /// <summary><paramref name="op"/> (<paramref name="operand"/>).</summary>
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

    /// <summary>The operation.</summary>
    public AmlUnaryOperator Operator { get; }

    /// <summary>The operand (for Increment and Decrement, also where the result goes).</summary>
    public IAml Operand { get; }

    /// <inheritdoc/>
    public void AppendTo(AmlSink sink)
    {
        sink.Byte((byte)Operator);
        Operand.AppendTo(sink);
    }
}
