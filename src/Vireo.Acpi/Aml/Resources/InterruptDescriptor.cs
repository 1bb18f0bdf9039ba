namespace Vireo.Acpi;

/// <summary>Interrupt (consumer, trigger, polarity, sharing) { gsis }: Extended Interrupt
/// Descriptor (ACPI 6.5 §6.4.3.6), for GSIs beyond the ISA range.</summary>
internal sealed class InterruptDescriptor : IAmlResourceDescriptor
{
    // Large item 0x09.
    private const byte Tag = 0x89;

    private readonly uint[] _interrupts;

    public InterruptDescriptor(AmlInterruptTrigger trigger, AmlInterruptPolarity polarity, bool shared, params IEnumerable<uint> interrupts)
    {
        _interrupts = interrupts.ToArray();
        if (_interrupts.Length is 0 or > byte.MaxValue)
        {
            throw new ArgumentException("an Extended Interrupt descriptor lists 1 to 255 interrupts", nameof(interrupts));
        }
        Trigger = trigger;
        Polarity = polarity;
        Shared = shared;
    }

    public AmlInterruptTrigger Trigger { get; }

    public AmlInterruptPolarity Polarity { get; }

    public bool Shared { get; }

    public bool WakeCapable { get; init; }

    /// <summary>ResourceConsumer (the default) or ResourceProducer.</summary>
    public bool Consumer { get; init; } = true;

    public IReadOnlyList<uint> Interrupts => _interrupts;

    public void AppendTo(AmlSink sink)
    {
        sink.Byte(Tag);
        // Length after the 3-byte header: flags, count, 4 bytes per interrupt.
        sink.Word((ushort)(2 + (4 * _interrupts.Length)));
        // Bit 0 consumer, bit 1 _HE edge, bit 2 _LL active-low, bit 3 _SHR, bit 4 _WKC.
        sink.Byte((byte)((Consumer ? 0x01 : 0)
            | (Trigger == AmlInterruptTrigger.Edge ? 0x02 : 0)
            | (Polarity == AmlInterruptPolarity.ActiveLow ? 0x04 : 0)
            | (Shared ? 0x08 : 0)
            | (WakeCapable ? 0x10 : 0)));
        sink.Byte((byte)_interrupts.Length);
        foreach (uint gsi in _interrupts)
        {
            sink.DWord(gsi);
        }
    }
}
