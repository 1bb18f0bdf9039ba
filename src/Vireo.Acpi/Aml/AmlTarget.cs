namespace Vireo.Acpi;

/// <summary>Target operands: an absent target is encoded as NullName (ACPI 6.5 §20.2.2 Target).</summary>
internal static class AmlTarget
{
    public static void Append(AmlSink sink, IAml? target)
    {
        if (target is null)
        {
            sink.Byte(AmlOpcode.NullName);
        }
        else
        {
            target.AppendTo(sink);
        }
    }
}
