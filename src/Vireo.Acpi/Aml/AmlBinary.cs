namespace Vireo.Acpi;

/// <summary><c>Op (left, right, target)</c>, e.g. Add or ShiftLeft (ACPI 6.5 §20.2.5.4).
/// Without a target the result is only the expression value (Target = NullName).</summary>
internal sealed class AmlBinary : IAml
{
    public AmlBinary(AmlBinaryOperator op, IAml left, IAml right, IAml? target = null)
    {
        ArgumentNullException.ThrowIfNull(left);
        ArgumentNullException.ThrowIfNull(right);
        if (!Enum.IsDefined(op))
        {
            throw new ArgumentOutOfRangeException(nameof(op), op, "not a binary AML operator");
        }
        Operator = op;
        Left = left;
        Right = right;
        Target = target;
    }

    public AmlBinaryOperator Operator { get; }

    public IAml Left { get; }

    public IAml Right { get; }

    public IAml? Target { get; }

    public void AppendTo(AmlSink sink)
    {
        sink.Byte((byte)Operator);
        Left.AppendTo(sink);
        Right.AppendTo(sink);
        AmlTarget.Append(sink, Target);
    }
}
