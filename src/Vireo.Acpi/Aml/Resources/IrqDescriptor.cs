namespace Vireo.Acpi;

/// <summary>IRQ (trigger, polarity, sharing) { irqs } or IRQNoFlags () { irqs }: IRQ Format
/// Descriptor (ACPI 6.5 §6.4.2.1). IRQNoFlags is the 2-byte form, meaning edge, active-high,
/// exclusive.</summary>
internal sealed class IrqDescriptor : IAmlResourceDescriptor
{
    // Small item name 0x04, length 2 or 3.
    private const byte TagNoFlags = 0x22;
    private const byte TagWithFlags = 0x23;

    private readonly int[] _irqs;

    public IrqDescriptor(AmlInterruptTrigger trigger, AmlInterruptPolarity polarity, bool shared, params IEnumerable<int> irqs)
        : this(irqs, hasFlags: true)
    {
        Trigger = trigger;
        Polarity = polarity;
        Shared = shared;
    }

    private IrqDescriptor(IEnumerable<int> irqs, bool hasFlags)
    {
        _irqs = irqs.ToArray();
        if (_irqs.Any(irq => (uint)irq > 15))
        {
            throw new ArgumentOutOfRangeException(nameof(irqs), "IRQ descriptors describe ISA IRQs 0-15; use InterruptDescriptor for GSIs");
        }
        HasFlags = hasFlags;
        Trigger = AmlInterruptTrigger.Edge;
    }

    public bool HasFlags { get; }

    public AmlInterruptTrigger Trigger { get; }

    public AmlInterruptPolarity Polarity { get; }

    public bool Shared { get; }

    /// <summary>_WKC (ExclusiveAndWake / SharedAndWake in ASL); needs the 3-byte form.</summary>
    public bool WakeCapable { get; init; }

    public IReadOnlyList<int> Irqs => _irqs;

    public static IrqDescriptor NoFlags(params IEnumerable<int> irqs) => new(irqs, hasFlags: false);

    public void AppendTo(AmlSink sink)
    {
        ushort mask = 0;
        foreach (int irq in _irqs)
        {
            mask |= (ushort)(1 << irq);
        }
        sink.Byte(HasFlags ? TagWithFlags : TagNoFlags);
        sink.Word(mask);
        if (HasFlags)
        {
            // Bit 0 _HE edge, bit 3 _LL active-low, bit 4 _SHR shared, bit 5 _WKC wake capable.
            sink.Byte((byte)((Trigger == AmlInterruptTrigger.Edge ? 0x01 : 0)
                | (Polarity == AmlInterruptPolarity.ActiveLow ? 0x08 : 0)
                | (Shared ? 0x10 : 0)
                | (WakeCapable ? 0x20 : 0)));
        }
    }
}
