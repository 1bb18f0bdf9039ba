using Vireo.Acpi;

namespace Vireo.Devices;

/// <summary>
/// A GPE handler that notifies one device (ACPI 6.5 §5.6.4.1 <c>_Exx</c>/<c>_Lxx</c>, §5.6.6
/// Notify values), rendered as its own <c>Scope (\_GPE)</c> so several can be concatenated into
/// the DSDT. The notify value is either fixed, or read from a one-byte SystemIO register the VMM
/// fills before it raises the GPE, which lets one GPE forward any code the host reports:
/// <code>
/// Scope (\_GPE)
/// {
///     OperationRegion (GR07, SystemIO, 0x0640, One)
///     Field (GR07, ByteAcc, NoLock, Preserve) { GC07, 8 }
///     Method (_E07, 0, NotSerialized) { Notify (\_SB.PCI0.D01, GC07) }
/// }
/// </code>
/// </summary>
public sealed class GpeNotifyMethod : IAml
{
    /// <summary>_Exx/_Lxx names carry the GPE number in two hex digits.</summary>
    public const int MaxGpe = 0xFF;

    private GpeNotifyMethod(int gpe, GpeTrigger trigger, AmlPath device, ushort? notifyPort, byte notifyCode)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(gpe);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(gpe, MaxGpe);
        if (!Enum.IsDefined(trigger))
        {
            throw new ArgumentOutOfRangeException(nameof(trigger), trigger, "undefined GPE trigger");
        }
        ArgumentNullException.ThrowIfNull(device);
        if (!device.IsRooted || device.Segments.Count == 0)
        {
            // A relative name would resolve inside \_GPE, not where the caller meant.
            throw new ArgumentException($"'{device}': the device to notify needs an absolute path", nameof(device));
        }
        Gpe = gpe;
        Trigger = trigger;
        Device = device;
        NotifyPort = notifyPort;
        NotifyCode = notifyCode;
    }

    /// <summary>The GPE number, 0 to <see cref="MaxGpe"/>; the VMM raises this bit of GPE0_STS.</summary>
    public int Gpe { get; }

    /// <summary>Whether the handler is <c>_Exx</c> (edge) or <c>_Lxx</c> (level).</summary>
    public GpeTrigger Trigger { get; }

    /// <summary>The absolute path of the device the method notifies.</summary>
    public AmlPath Device { get; }

    /// <summary>The port the notify value is read from; null when <see cref="NotifyCode"/> is fixed.</summary>
    public ushort? NotifyPort { get; }

    /// <summary>The fixed notify value (ACPI 6.5 §5.6.6); unused, and zero, when <see cref="NotifyPort"/> is set.</summary>
    public byte NotifyCode { get; }

    /// <summary>The handler's name: <c>_E</c> or <c>_L</c> and the GPE number in two hex digits.</summary>
    public string MethodName => $"_{(Trigger == GpeTrigger.Edge ? 'E' : 'L')}{Gpe:X2}";

    /// <summary>Notifies <paramref name="device"/> with the fixed <paramref name="notifyCode"/>.</summary>
    public static GpeNotifyMethod WithCode(int gpe, GpeTrigger trigger, AmlPath device, byte notifyCode) =>
        new(gpe, trigger, device, null, notifyCode);

    /// <summary>Notifies <paramref name="device"/> with the byte read from port <paramref name="notifyPort"/>.</summary>
    public static GpeNotifyMethod ReadingCodeFrom(int gpe, GpeTrigger trigger, AmlPath device, ushort notifyPort) =>
        new(gpe, trigger, device, notifyPort, 0);

    /// <inheritdoc/>
    public void AppendTo(AmlSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        var children = new List<IAml>(3);
        IAml value = new AmlInteger(NotifyCode);
        if (NotifyPort is ushort port)
        {
            string region = $"GR{Gpe:X2}";
            string field = $"GC{Gpe:X2}";
            children.Add(new AmlOperationRegion(region, AcpiAddressSpace.SystemIO, port, 1));
            children.Add(new AmlField(region, AmlFieldAccess.ByteAcc, false, AmlFieldUpdate.Preserve, AmlFieldUnit.Named(field, 8)));
            value = new AmlPath(field);
        }
        children.Add(new AmlMethod(MethodName, 0, false, new AmlNotify(Device, value)));
        sink.Append(new AmlScope("\\_GPE", children));
    }
}
