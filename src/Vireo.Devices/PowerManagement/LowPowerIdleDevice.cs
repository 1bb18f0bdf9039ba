using Vireo.Acpi;
using Vireo.Memory;

namespace Vireo.Devices;

/// <summary>
/// Vireo's "Low Power S0 Idle" ACPI device: the trap port its _DSM writes to whenever the guest
/// announces a suspend-to-idle step, and the AML that makes Linux's s2idle code use it. Each
/// one-byte write at offset 0 of a known code (<see cref="LowPowerIdleEvent.Code"/>) raises
/// <see cref="Notified"/> on the writing vCPU's thread, while that vCPU is still stopped in the
/// trap; anything else (other offsets, other widths, unknown codes) is counted and dropped.
/// Reads return zero: the AML never reads, and nothing here is guest-visible state.
/// </summary>
/// <remarks>
/// The AML, with the _DSM dispatch that <see cref="AmlDsm"/> renders:
/// <code>
/// Scope (\_SB)
/// {
///     Device (LPS0)
///     {
///         Name (_HID, "VIRE0001")
///         Name (_CID, EisaId ("PNP0D80"))
///         Name (_STA, 0x0F)
///         OperationRegion (LPSR, SystemIO, port, One)
///         Field (LPSR, ByteAcc, NoLock, Preserve) { LPSC, 8 }
///         Method (_DSM, 4, NotSerialized) { per UUID: function 0 mask, 1 constraints, LPSC = code }
///     }
/// }
/// </code>
/// Linux binds its LPS0 handler by the compatible ID PNP0D80 (s2idle.c lps0_device_ids); the
/// hardware ID is Vireo's own, not crosvm's HYPE0001, because a kernel driver written for that
/// ID would expect crosvm's private _DSM UUID and MMIO register, and not an AMD PMC ID
/// (AMD0004, AMDI0005, ...), which would make Linux "fix" AMD's function mask by shifting it.
/// Which functions each UUID offers, and why, is in <see cref="LowPowerIdleDsm"/>.
/// </remarks>
public sealed class LowPowerIdleDevice : IBusDevice, IAml
{
    /// <summary>Ports the device occupies: the code register and three reserved bytes, so that
    /// wrong-width or misplaced writes reach the device and are counted.</summary>
    public const int WindowLength = 4;

    /// <summary>The offset of the one-byte code register the AML's LPSC field writes.</summary>
    public const int CodeOffset = 0;

    /// <summary>An ACPI ID (four characters, four hex digits; ACPI 6.5 §6.1.5) under Vireo's name.</summary>
    public const string HardwareId = "VIRE0001";

    /// <summary>"System Power Management Controller", the ID s2idle.c's scan handler matches.</summary>
    public const string CompatibleId = "PNP0D80";

    /// <summary>Where the device lives in the namespace.</summary>
    public const string DevicePath = ParentScope + "." + DeviceName;

    // ACPI 6.5 §6.3.7 _STA: present, enabled, shown in UI, functioning.
    private const byte StaPresentEnabledFunctioning = 0x0F;

    private const string ParentScope = "\\_SB";
    private const string DeviceName = "LPS0";
    private const string RegionName = "LPSR";
    private const string CodeFieldName = "LPSC";

    private long _notifications;
    private long _ignoredWrites;

    /// <param name="port">The first port of the window, which the AML's SystemIO region names;
    /// the VMM inserts the device there, <see cref="WindowLength"/> ports long.</param>
    public LowPowerIdleDevice(PioAddress port)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((int)port.Value, ushort.MaxValue + 1 - WindowLength, nameof(port));
        Port = port;
    }

    /// <summary>The first port of the window, as given to the constructor.</summary>
    public PioAddress Port { get; }

    /// <summary>Raised on the vCPU thread that wrote the code, before its exit completes; a
    /// handler may block that vCPU (to park the guest), and what it throws reaches the vCPU.</summary>
    public event Action<LowPowerIdleEvent>? Notified;

    /// <summary>Codes accepted and raised.</summary>
    public long Notifications => Interlocked.Read(ref _notifications);

    /// <summary>Writes dropped: wrong offset, wrong width or an unknown code.</summary>
    public long IgnoredWrites => Interlocked.Read(ref _ignoredWrites);

    /// <inheritdoc/>
    public void Read(ulong offset, Span<byte> data) => data.Clear();

    /// <inheritdoc/>
    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        if (offset != CodeOffset || data.Length != 1 || !LowPowerIdleEvent.TryDecode(data[0], out LowPowerIdleEvent notification))
        {
            Interlocked.Increment(ref _ignoredWrites);
            return;
        }
        Interlocked.Increment(ref _notifications);
        Notified?.Invoke(notification);
    }

    /// <inheritdoc/>
    public void AppendTo(AmlSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        var interfaces = LowPowerIdleDsm.Interfaces.Select(i => new AmlDsmInterface(i.Uuid, Functions(i.Family, i.Constraints, i.Traps)));
        sink.Append(new AmlScope(ParentScope,
            new AmlDevice(DeviceName,
                new AmlName("_HID", new AmlString(HardwareId)),
                new AmlName("_CID", new AmlEisaId(CompatibleId)),
                new AmlName("_STA", new AmlInteger(StaPresentEnabledFunctioning)),
                new AmlOperationRegion(RegionName, AcpiAddressSpace.SystemIO, Port.Value, 1),
                new AmlField(RegionName, AmlFieldAccess.ByteAcc, false, AmlFieldUpdate.Preserve, AmlFieldUnit.Named(CodeFieldName, 8)),
                new AmlDsm(interfaces))));
    }

    private static IEnumerable<AmlDsmFunction> Functions(LowPowerIdleFamily family, bool constraints, IReadOnlyList<(int Index, LowPowerIdleFunction Function)> traps)
    {
        if (constraints)
        {
            // No device constraints: an empty package (Intel's LPS0 spec, function 1).
            yield return new AmlDsmFunction(LowPowerIdleDsm.GetDeviceConstraints, new AmlReturn(new AmlPackage()));
        }
        foreach ((int index, LowPowerIdleFunction function) in traps)
        {
            byte code = new LowPowerIdleEvent(family, function).Code;
            yield return new AmlDsmFunction(index, new AmlStore(new AmlInteger(code), new AmlPath(CodeFieldName)));
        }
    }
}
