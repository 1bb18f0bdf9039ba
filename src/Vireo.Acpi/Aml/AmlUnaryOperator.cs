namespace Vireo.Acpi;

/// <summary>Operators of shape <c>Op (Operand)</c> with no target; values are the opcodes
/// (ACPI 6.5 §20.2.5.4).</summary>
public enum AmlUnaryOperator : byte
{
    /// <summary>RefOf: a reference to the operand.</summary>
    RefOf = 0x71,
    /// <summary>Increment: operand++ (ASL+ <c>Local1++</c>).</summary>
    Increment = 0x75,
    /// <summary>Decrement: operand--.</summary>
    Decrement = 0x76,
    /// <summary>DerefOf: the object a reference points at.</summary>
    DerefOf = 0x83,
    /// <summary>SizeOf: the length of a string, buffer or package.</summary>
    SizeOf = 0x87,
    /// <summary>ObjectType: the operand's type code.</summary>
    ObjectType = 0x8E,
    /// <summary>LNot: logical not.</summary>
    LNot = 0x92,
}
