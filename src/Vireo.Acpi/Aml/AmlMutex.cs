namespace Vireo.Acpi;

/// <summary>Mutex (name, syncLevel) (ACPI 6.5 §20.2.5.2 DefMutex).</summary>
internal sealed class AmlMutex : IAml
{
    public AmlMutex(AmlPath name, int syncLevel = 0)
    {
        ArgumentNullException.ThrowIfNull(name);
        // SyncFlags bits 0-3 hold SyncLevel; bits 4-7 are reserved.
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)syncLevel, 15u, nameof(syncLevel));
        Name = name;
        SyncLevel = syncLevel;
    }

    public AmlPath Name { get; }

    public int SyncLevel { get; }

    public void AppendTo(AmlSink sink)
    {
        sink.Byte(AmlOpcode.ExtPrefix);
        sink.Byte(AmlOpcode.ExtMutex);
        Name.AppendTo(sink);
        sink.Byte((byte)SyncLevel);
    }
}
