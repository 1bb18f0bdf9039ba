namespace Vireo.Acpi;

/// <summary>Operators of shape <c>Op (Operand)</c> with no target; values are the opcodes
/// (ACPI 6.5 §20.2.5.4).</summary>
internal enum AmlUnaryOperator : byte
{
    RefOf = 0x71,
    Increment = 0x75,
    Decrement = 0x76,
    DerefOf = 0x83,
    SizeOf = 0x87,
    ObjectType = 0x8E,
    LNot = 0x92,
}
