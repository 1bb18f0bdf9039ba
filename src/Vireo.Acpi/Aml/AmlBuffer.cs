namespace Vireo.Acpi;

/// <summary>Buffer (size) { bytes } (ACPI 6.5 §20.2.5.4 DefBuffer): the size is the byte count.</summary>
internal sealed class AmlBuffer : IAml
{
    private readonly byte[] _data;

    public AmlBuffer(ReadOnlySpan<byte> data)
    {
        _data = data.ToArray();
    }

    public ReadOnlySpan<byte> Data => _data;

    public void AppendTo(AmlSink sink) => sink.Package([AmlOpcode.Buffer], body =>
    {
        new AmlInteger((ulong)_data.Length).AppendTo(body);
        body.Bytes(_data);
    });
}
