namespace Vireo.Acpi;

/// <summary>ToUUID ("aabbccdd-eeff-gghh-iijj-kkllmmnnoopp"): a 16-byte Buffer whose first three
/// groups are little-endian and the last two big-endian (ACPI 6.5 §19.6.142). That is the
/// layout <see cref="Guid.TryWriteBytes(Span{byte})"/> produces.</summary>
internal sealed class AmlUuid : IAml
{
    public AmlUuid(Guid uuid)
    {
        Uuid = uuid;
    }

    public AmlUuid(string uuid)
        : this(Guid.ParseExact(uuid, "D"))
    {
    }

    public Guid Uuid { get; }

    public byte[] ToBufferBytes()
    {
        var bytes = new byte[16];
        Uuid.TryWriteBytes(bytes);
        return bytes;
    }

    public void AppendTo(AmlSink sink) => new AmlBuffer(ToBufferBytes()).AppendTo(sink);
}
