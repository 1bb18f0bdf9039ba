namespace Vireo.Acpi;

/// <summary><c>Op (left, right, target)</c>, e.g. Add or ShiftLeft (ACPI 6.5 §20.2.5.4).
/// Without a target the result is only the expression value (Target = NullName).</summary>
public sealed class AmlBinary : IAml
{
    /// <summary>
    /// <paramref name="op"/> (<paramref name="left"/>, <paramref name="right"/>, <paramref
    /// name="target"/>); a null <paramref name="target"/> keeps only the expression value.
    /// </summary>
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

    /// <summary>The operation.</summary>
    public AmlBinaryOperator Operator { get; }

    /// <summary>The first operand.</summary>
    public IAml Left { get; }

    /// <summary>The second operand.</summary>
    public IAml Right { get; }

    /// <summary>Where the result is also stored, or null for none.</summary>
    public IAml? Target { get; }

    /// <inheritdoc/>
    public void AppendTo(AmlSink sink)
    {
        sink.Byte((byte)Operator);
        Left.AppendTo(sink);
        Right.AppendTo(sink);
        AmlTarget.Append(sink, Target);
    }
}
