namespace Vireo.Acpi;

/// <summary><c>LEqual (left, right)</c> and the other logical comparisons (ACPI 6.5 §20.2.5.4).</summary>
public sealed class AmlCompare : IAml
{
    // ACPI 6.5 §20.3: LAndOp 0x90, LOrOp 0x91, LNotOp 0x92, LEqualOp 0x93, LGreaterOp 0x94, LLessOp 0x95.
    private const byte LAndOp = 0x90;
    private const byte LOrOp = 0x91;
    private const byte LNotOp = 0x92;
    private const byte LEqualOp = 0x93;
    private const byte LGreaterOp = 0x94;
    private const byte LLessOp = 0x95;

    /// <summary><paramref name="op"/> (<paramref name="left"/>, <paramref name="right"/>).</summary>
    public AmlCompare(AmlCompareOperator op, IAml left, IAml right)
    {
        ArgumentNullException.ThrowIfNull(left);
        ArgumentNullException.ThrowIfNull(right);
        if (!Enum.IsDefined(op))
        {
            throw new ArgumentOutOfRangeException(nameof(op), op, "not a logical AML operator");
        }
        Operator = op;
        Left = left;
        Right = right;
    }

    /// <summary>The comparison.</summary>
    public AmlCompareOperator Operator { get; }

    /// <summary>The first operand.</summary>
    public IAml Left { get; }

    /// <summary>The second operand.</summary>
    public IAml Right { get; }

    /// <inheritdoc/>
    public void AppendTo(AmlSink sink)
    {
        switch (Operator)
        {
            case AmlCompareOperator.LAnd: sink.Byte(LAndOp); break;
            case AmlCompareOperator.LOr: sink.Byte(LOrOp); break;
            case AmlCompareOperator.LEqual: sink.Byte(LEqualOp); break;
            case AmlCompareOperator.LGreater: sink.Byte(LGreaterOp); break;
            case AmlCompareOperator.LLess: sink.Byte(LLessOp); break;
            case AmlCompareOperator.LNotEqual: sink.Bytes([LNotOp, LEqualOp]); break;
            case AmlCompareOperator.LGreaterEqual: sink.Bytes([LNotOp, LLessOp]); break;
            case AmlCompareOperator.LLessEqual: sink.Bytes([LNotOp, LGreaterOp]); break;
        }
        Left.AppendTo(sink);
        Right.AppendTo(sink);
    }
}
