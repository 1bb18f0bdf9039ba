namespace Vireo.Acpi;

/// <summary>Logical operators of shape <c>Op (Operand, Operand)</c> returning True/False
/// (ACPI 6.5 §20.2.5.4). The negated comparisons have no opcode of their own and are
/// encoded as LNot of the opposite comparison.</summary>
internal enum AmlCompareOperator
{
    LAnd,
    LOr,
    LEqual,
    LGreater,
    LLess,
    LNotEqual,
    LGreaterEqual,
    LLessEqual,
}
