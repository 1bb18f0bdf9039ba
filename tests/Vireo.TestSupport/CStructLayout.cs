using System.Runtime.CompilerServices;

namespace Vireo.TestSupport;

/// <summary>Selects a field of <typeparamref name="TStruct"/> by reference, so its offset is
/// measured on the managed layout itself (works for fixed-size inline arrays, unlike Marshal.OffsetOf).</summary>
public delegate ref TField FieldSelector<TStruct, TField>(ref TStruct value);

/// <summary>A managed struct paired with the C type it mirrors, and the fields to compare:
/// each C member designator (as offsetof takes it, e.g. "io.port" or "channels[1].mode") with the
/// managed field's measured offset and size.</summary>
public abstract class CStructLayout
{
    private readonly List<CFieldLayout> _fields = [];

    protected CStructLayout(string cType, string managedName, int managedSize)
    {
        CType = cType;
        ManagedName = managedName;
        ManagedSize = managedSize;
    }

    public string CType { get; }

    public string ManagedName { get; }

    public int ManagedSize { get; }

    /// <summary>Where a trailing flexible array member starts, if one was declared: then C's
    /// sizeof is the header alone and must equal this offset, while the managed struct may carry
    /// a fixed number of elements after it.</summary>
    public int? FlexibleArrayOffset { get; protected set; }

    public IReadOnlyList<CFieldLayout> Fields => _fields;

    public static CStructLayout<T> Of<T>(string cType)
        where T : unmanaged
        => new(cType);

    protected void AddField(CFieldLayout field) => _fields.Add(field);

    public override string ToString() => $"{ManagedName} ~ {CType}";
}

/// <summary>A managed field and the C member it must coincide with. A null size is a flexible
/// array member, whose size C does not define.</summary>
public sealed record CFieldLayout(string CMember, string ManagedName, int ManagedOffset, int? ManagedSize);

/// <inheritdoc cref="CStructLayout"/>
public sealed class CStructLayout<T> : CStructLayout
    where T : unmanaged
{
    internal CStructLayout(string cType)
        : base(cType, typeof(T).Name, Unsafe.SizeOf<T>())
    {
    }

    /// <summary>Adds a field. <paramref name="cMember"/> is the C designator; the managed field's
    /// offset is measured from a default instance through <paramref name="select"/>.</summary>
    public CStructLayout<T> Field<TField>(string cMember, FieldSelector<T, TField> select, [CallerArgumentExpression(nameof(select))] string managedName = "")
        where TField : unmanaged
    {
        AddField(new CFieldLayout(cMember, managedName, Measure(select, managedName), Unsafe.SizeOf<TField>()));
        return this;
    }

    /// <summary>Declares the C struct's trailing flexible array member and the managed field that
    /// holds its first element(s).</summary>
    public CStructLayout<T> FlexibleArray<TField>(string cMember, FieldSelector<T, TField> select, [CallerArgumentExpression(nameof(select))] string managedName = "")
        where TField : unmanaged
    {
        int offset = Measure(select, managedName);
        AddField(new CFieldLayout(cMember, managedName, offset, null));
        FlexibleArrayOffset = offset;
        return this;
    }

    private static int Measure<TField>(FieldSelector<T, TField> select, string managedName)
        where TField : unmanaged
    {
        T value = default;
        ref byte start = ref Unsafe.As<T, byte>(ref value);
        ref byte field = ref Unsafe.As<TField, byte>(ref select(ref value));
        int offset = (int)Unsafe.ByteOffset(ref start, ref field);
        if (offset < 0 || offset + Unsafe.SizeOf<TField>() > Unsafe.SizeOf<T>())
        {
            throw new ArgumentException($"{managedName} does not select a field inside {typeof(T).Name}", nameof(select));
        }
        return offset;
    }
}
