namespace Vireo.Acpi;

/// <summary>An integer constant in its shortest encoding (ACPI 6.5 §20.2.3 ComputationalData,
/// ConstObj): Zero, One, Ones, then Byte/Word/DWord/QWord prefixes.</summary>
public sealed class AmlInteger : IAml
{
    /// <summary>Zero (ZeroOp).</summary>
    public static readonly AmlInteger Zero = new(0);
    /// <summary>One (OneOp).</summary>
    public static readonly AmlInteger One = new(1);

    /// <summary>All bits set; OnesOp means 64 ones in a revision 2 definition block.</summary>
    public static readonly AmlInteger Ones = new(ulong.MaxValue);

    /// <summary>The constant <paramref name="value"/>, encoded in the fewest bytes.</summary>
    public AmlInteger(ulong value)
    {
        Value = value;
    }

    /// <summary>The value.</summary>
    public ulong Value { get; }

    /// <summary>Lets a <see cref="ulong"/> stand wherever an AML term is expected.</summary>
    public static implicit operator AmlInteger(ulong value) => new(value);

    /// <inheritdoc/>
    public void AppendTo(AmlSink sink)
    {
        switch (Value)
        {
            case 0:
                sink.Byte(AmlOpcode.Zero);
                break;
            case 1:
                sink.Byte(AmlOpcode.One);
                break;
            case ulong.MaxValue:
                sink.Byte(AmlOpcode.Ones);
                break;
            case <= byte.MaxValue:
                sink.Byte(AmlOpcode.BytePrefix);
                sink.Byte((byte)Value);
                break;
            case <= ushort.MaxValue:
                sink.Byte(AmlOpcode.WordPrefix);
                sink.Word((ushort)Value);
                break;
            case <= uint.MaxValue:
                sink.Byte(AmlOpcode.DWordPrefix);
                sink.DWord((uint)Value);
                break;
            default:
                sink.Byte(AmlOpcode.QWordPrefix);
                sink.QWord(Value);
                break;
        }
    }
}
