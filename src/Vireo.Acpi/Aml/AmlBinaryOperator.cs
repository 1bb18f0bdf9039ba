namespace Vireo.Acpi;

/// <summary>Operators of shape <c>Op (Operand, Operand, Target)</c>; values are the opcodes
/// (ACPI 6.5 §20.2.5.4 Expression Opcodes).</summary>
public enum AmlBinaryOperator : byte
{
    /// <summary>Add: left + right.</summary>
    Add = 0x72,
    /// <summary>Concatenate: two strings, buffers or integers joined.</summary>
    Concatenate = 0x73,
    /// <summary>Subtract: left - right.</summary>
    Subtract = 0x74,
    /// <summary>Multiply: left * right.</summary>
    Multiply = 0x77,
    /// <summary>ShiftLeft: left &lt;&lt; right.</summary>
    ShiftLeft = 0x79,
    /// <summary>ShiftRight: left &gt;&gt; right.</summary>
    ShiftRight = 0x7A,
    /// <summary>And: left &amp; right.</summary>
    And = 0x7B,
    /// <summary>NAnd: ~(left &amp; right).</summary>
    Nand = 0x7C,
    /// <summary>Or: left | right.</summary>
    Or = 0x7D,
    /// <summary>NOr: ~(left | right).</summary>
    Nor = 0x7E,
    /// <summary>XOr: left ^ right.</summary>
    Xor = 0x7F,
    /// <summary>ConcatenateResTemplate: two resource templates joined.</summary>
    ConcatenateResTemplate = 0x84,
    /// <summary>Mod: left % right.</summary>
    Mod = 0x85,
}
