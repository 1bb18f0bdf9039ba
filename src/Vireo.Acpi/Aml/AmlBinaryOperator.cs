namespace Vireo.Acpi;

/// <summary>Operators of shape <c>Op (Operand, Operand, Target)</c>; values are the opcodes
/// (ACPI 6.5 §20.2.5.4 Expression Opcodes).</summary>
internal enum AmlBinaryOperator : byte
{
    Add = 0x72,
    Concatenate = 0x73,
    Subtract = 0x74,
    Multiply = 0x77,
    ShiftLeft = 0x79,
    ShiftRight = 0x7A,
    And = 0x7B,
    Nand = 0x7C,
    Or = 0x7D,
    Nor = 0x7E,
    Xor = 0x7F,
    ConcatenateResTemplate = 0x84,
    Mod = 0x85,
}
