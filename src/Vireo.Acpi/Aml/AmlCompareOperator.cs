namespace Vireo.Acpi;

/// <summary>Logical operators of shape <c>Op (Operand, Operand)</c> returning True/False
/// (ACPI 6.5 §20.2.5.4). The negated comparisons have no opcode of their own and are
/// encoded as LNot of the opposite comparison.</summary>
public enum AmlCompareOperator
{
    /// <summary>LAnd: both non-zero.</summary>
    LAnd,
    /// <summary>LOr: either non-zero.</summary>
    LOr,
    /// <summary>LEqual: left == right.</summary>
    LEqual,
    /// <summary>LGreater: left &gt; right.</summary>
    LGreater,
    /// <summary>LLess: left &lt; right.</summary>
    LLess,
    /// <summary>LNotEqual: left != right, encoded as LNot (LEqual).</summary>
    LNotEqual,
    /// <summary>LGreaterEqual: left &gt;= right, encoded as LNot (LLess).</summary>
    LGreaterEqual,
    /// <summary>LLessEqual: left &lt;= right, encoded as LNot (LGreater).</summary>
    LLessEqual,
}
