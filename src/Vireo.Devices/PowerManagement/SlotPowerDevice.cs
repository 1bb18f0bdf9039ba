using System.Buffers.Binary;
using System.Diagnostics;
using Vireo.Acpi;
using Vireo.Memory;

namespace Vireo.Devices;

/// <summary>
/// The ACPI power and event plumbing of one assigned PCI function: a four-port window its slot's
/// AML traps to, which gives the guest a power resource (D3cold), D-state methods, a wake GPE
/// armed through _DSW, a mailbox of notify codes that a GPE method of its own drains into
/// <c>Notify (device, code)</c>, and ejection (the _EJ0 of <see cref="EjectObject"/>; _STA reads 0 afterwards). The device
/// only keeps state and raises GPEs; what a command means for the real device (low power entry,
/// exit, detaching it) is the VMM's, through <see cref="CommandWritten"/>.
/// </summary>
/// <remarks>
/// Registers (SystemIO, from <see cref="Port"/>):
/// <list type="bullet">
/// <item>+0, byte write: a <see cref="SlotPowerCommand"/>; unknown values are counted and dropped.</item>
/// <item>+0, byte read: 1 while the power resource is on, else 0 (its _STA).</item>
/// <item>+1, byte read: the slot Device's _STA: 0x0F (present, enabled, shown, functioning) until
/// the guest ejects the function, 0 from then on.</item>
/// <item>+2, word read: pops the oldest notify code as <c>0x100 | code</c>; 0 when none is queued,
/// so code 0 (Bus Check) is still distinguishable from an empty mailbox.</item>
/// </list>
/// Anything else reads 0 and is ignored; no guest access throws.
/// <para>The AML, for slot 3 at port 0x640, notify GPE 0x10 and wake GPE 0x11:</para>
/// <code>
/// // SlotObjects(), inside Device (S03_) after _ADR and _SUN:
/// OperationRegion (PWRR, SystemIO, 0x0640, 0x04)
/// Field (PWRR, ByteAcc, NoLock, Preserve) { PCMD, 8, PSTA, 8 }
/// Field (PWRR, WordAcc, NoLock, Preserve) { Offset (0x02), PNTF, 16 }
/// PowerResource (PRES, 0x00, 0x0000)
/// {
///     Method (_STA, 0, NotSerialized) { Return (PCMD) }
///     Method (_ON, 0, NotSerialized) { PCMD = 0x11 }
///     Method (_OFF, 0, NotSerialized) { PCMD = 0x10 }
/// }
/// Name (_PR0, Package (One) { PRES })
/// Name (_PR3, Package (One) { PRES })
/// Method (_PS0, 0, NotSerialized) { PCMD = Zero }
/// Method (_PS3, 0, NotSerialized) { PCMD = 0x03 }
/// Name (_S0W, 0x04)
/// Name (_PRW, Package (0x02) { 0x11, Zero })
/// Method (_DSW, 3, NotSerialized) { If (Arg0) { PCMD = 0x21 } Else { PCMD = 0x20 } }
/// Method (_STA, 0, NotSerialized) { Return (PSTA) }
///
/// // AppendTo():
/// Scope (\_GPE) { Method (_E11, 0, NotSerialized) { Notify (\_SB.PCI0.S03_, 0x02) } }
/// Scope (\_GPE)
/// {
///     Method (_E10, 0, NotSerialized)
///     {
///         Local1 = Zero
///         While ((Local1 &lt; 0x40))
///         {
///             Local0 = \_SB.PCI0.S03_.PNTF
///             If ((Local0 == Zero)) { Break }
///             Notify (\_SB.PCI0.S03_, (Local0 &amp; 0xFF))
///             Local1++
///         }
///     }
/// }
/// </code>
/// Two GPEs, because a GPE named in a _PRW is a wake GPE, which Linux enables only when a driver
/// enables wake (ACPICA's GPE init skips GPEs marked CAN_WAKE), while notify codes must arrive
/// from boot: the notify GPE is named by no _PRW and has its own _Exx, so the guest enables it
/// at boot. The drain loop is bounded by <see cref="NotifyCapacity"/> so a register that keeps
/// answering cannot hang the guest's GPE work; codes posted during a drain raise the GPE again.
/// <para>Ejection: the slot Device has no _EJ0, on purpose: Linux's acpi_pci_set_power_state
/// (pci-acpi.c) ignores the ACPI power methods of a device whose companion has _EJ0, so its
/// runtime PM would stop at a native D3hot (seen in the nested lab). The _EJ0 sits on the slot's
/// eject object (<see cref="EjectObject"/>), just before the Device, which acpiphp groups into the
/// same slot; _STA reads 0x0F, and 0 once the Eject command came.</para>
/// </remarks>
public sealed class SlotPowerDevice : IBusDevice, IAml, ISuspendable
{
    /// <summary>Ports the device occupies: the command/status byte, a reserved byte, the notify word.</summary>
    public const int WindowLength = 4;

    /// <summary>Notify codes queued per device before <see cref="PostNotify"/> drops them; also
    /// the most the GPE method drains per run.</summary>
    public const int NotifyCapacity = 64;

    /// <summary>The command register (write) and power resource status (read), one byte.</summary>
    public const int CommandOffset = 0;

    /// <summary>The slot Device's _STA, one byte read.</summary>
    public const int StatusOffset = 1;

    /// <summary>What <see cref="StatusOffset"/> reads while the function is in its slot.</summary>
    public const byte PresentStatus = DevicePresent | DeviceEnabled | DeviceShown | DeviceFunctioning;

    /// <summary>The notify mailbox, one word read.</summary>
    public const int NotifyOffset = 2;

    /// <summary>What a mailbox read adds to a code, so that code 0 differs from "empty".</summary>
    public const ushort NotifyPending = 0x100;

    // ACPI 6.5 §6.3.7 _STA: bit 0 present, bit 1 enabled and decoding its resources, bit 2
    // shown in the UI, bit 3 functioning properly.
    private const byte DevicePresent = 0x1;
    private const byte DeviceEnabled = 0x2;
    private const byte DeviceShown = 0x4;
    private const byte DeviceFunctioning = 0x8;

    // ACPI 6.5 §5.6.6 Table 5.166: Device Wake.
    private const byte DeviceWakeNotify = 0x02;

    // ACPI 6.5 §7.3.20 _S0W: the deepest D-state the device can wake from in S0; 4 is D3cold.
    private const byte S0WakeD3Cold = 4;

    // ACPI 6.5 §7.3.13 _PRW element 1: the deepest sleep state the device can wake the system
    // from. Linux uses _S0W for runtime PM and s2idle and only checks this for S3 and deeper,
    // which this platform does not offer (acpi-oracle RECIPE.md §1).
    private const byte WakeSleepState = 0;

    private const string RegionName = "PWRR";
    private const string CommandField = "PCMD";
    private const string StatusField = "PSTA";
    private const string NotifyField = "PNTF";
    private const string PowerResourceName = "PRES";

    private readonly Action<int> _raiseGpe;
    private readonly Lock _lock = new();
    private readonly byte[] _queue = new byte[NotifyCapacity];
    // Stopwatch timestamps of the queued codes (0: restored, no start known).
    private readonly long[] _queuedAt = new long[NotifyCapacity];
    private int _queueHead;
    private int _queueCount;
    private int _state = (int)SlotDeviceState.D0;
    private bool _wakeArmed;
    private bool _ejected;
    private long _droppedNotifies;
    private long _ignoredWrites;

    /// <param name="port">The first port of the window; the VMM inserts the device there,
    /// <see cref="WindowLength"/> ports long, and the AML's region names it.</param>
    /// <param name="notifyGpe">The GPE whose method drains the mailbox (0 to 255).</param>
    /// <param name="wakeGpe">The GPE named in _PRW, whose method notifies Device Wake (0 to 255,
    /// not <paramref name="notifyGpe"/>).</param>
    /// <param name="device">The absolute path of the slot's Device, e.g. <c>\_SB.PCI0.S03_</c>.</param>
    /// <param name="raiseGpe">Sets a GPE's status bit (and the SCI); called outside the device's
    /// lock, from whichever thread posted the event.</param>
    public SlotPowerDevice(PioAddress port, int notifyGpe, int wakeGpe, AmlPath device, Action<int> raiseGpe)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((int)port.Value, ushort.MaxValue + 1 - WindowLength, nameof(port));
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)notifyGpe, (uint)GpeNotifyMethod.MaxGpe, nameof(notifyGpe));
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)wakeGpe, (uint)GpeNotifyMethod.MaxGpe, nameof(wakeGpe));
        if (notifyGpe == wakeGpe)
        {
            // One GPE cannot be both a wake GPE (enabled only on demand) and one enabled at boot.
            throw new ArgumentException($"the notify and wake GPEs must differ (both 0x{wakeGpe:X2})", nameof(wakeGpe));
        }
        ArgumentNullException.ThrowIfNull(device);
        if (!device.IsRooted || device.Segments.Count == 0)
        {
            // The GPE methods live in \_GPE, where a relative name would find another object.
            throw new ArgumentException($"'{device}': the slot's Device needs an absolute path", nameof(device));
        }
        ArgumentNullException.ThrowIfNull(raiseGpe);
        Port = port;
        NotifyGpe = notifyGpe;
        WakeGpe = wakeGpe;
        Device = device;
        _raiseGpe = raiseGpe;
    }

    /// <summary>Recreates a device from a <see cref="GetState"/> snapshot, at the place the other
    /// arguments give (as for the constructor). Raises no GPE: whether one is pending is the GPE
    /// block's state, saved with it.</summary>
    /// <exception cref="ArgumentException">The state holds more than <see cref="NotifyCapacity"/>
    /// codes, an undefined power state or a negative counter.</exception>
    public static SlotPowerDevice FromState(SlotPowerState state, PioAddress port, int notifyGpe, int wakeGpe, AmlPath device, Action<int> raiseGpe)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.QueuedCodes.Length > NotifyCapacity)
        {
            throw new ArgumentException($"slot power state holds {state.QueuedCodes.Length} notify codes, more than the {NotifyCapacity} a mailbox queues", nameof(state));
        }
        if (!Enum.IsDefined(state.State))
        {
            throw new ArgumentException($"slot power state has undefined power state {(int)state.State}", nameof(state));
        }
        if (state.DroppedNotifies < 0 || state.IgnoredWrites < 0)
        {
            throw new ArgumentException("slot power state has a negative counter", nameof(state));
        }
        var restored = new SlotPowerDevice(port, notifyGpe, wakeGpe, device, raiseGpe)
        {
            _state = (int)state.State,
            _wakeArmed = state.WakeArmed,
            _ejected = state.Ejected,
            _queueCount = state.QueuedCodes.Length,
            _droppedNotifies = state.DroppedNotifies,
            _ignoredWrites = state.IgnoredWrites,
        };
        state.QueuedCodes.CopyTo(restored._queue, 0);
        return restored;
    }

    /// <summary>A copy of the device's state, for snapshot and migration; consistent with
    /// concurrent posts and guest reads.</summary>
    public SlotPowerState GetState()
    {
        lock (_lock)
        {
            byte[] queued = new byte[_queueCount];
            for (int i = 0; i < _queueCount; i++)
            {
                queued[i] = _queue[(_queueHead + i) % NotifyCapacity];
            }
            return new SlotPowerState
            {
                State = State,
                WakeArmed = WakeArmed,
                Ejected = IsEjected,
                QueuedCodes = queued,
                DroppedNotifies = DroppedNotifies,
                IgnoredWrites = IgnoredWrites,
            };
        }
    }

    /// <summary>The first port of the window, as given to the constructor.</summary>
    public PioAddress Port { get; }

    /// <summary>The GPE that <see cref="PostNotify"/> raises.</summary>
    public int NotifyGpe { get; }

    /// <summary>The GPE that <see cref="SignalWake"/> raises and _PRW names.</summary>
    public int WakeGpe { get; }

    /// <summary>The absolute path of the slot's Device, the target of every Notify.</summary>
    public AmlPath Device { get; }

    /// <summary>The power state the guest's methods last set; safe to read from any thread.</summary>
    public SlotDeviceState State => (SlotDeviceState)Volatile.Read(ref _state);

    /// <summary>Whether the power resource is on: false exactly in <see cref="SlotDeviceState.D3Cold"/>.</summary>
    public bool PowerResourceOn => State != SlotDeviceState.D3Cold;

    /// <summary>Whether the guest armed wake through _DSW.</summary>
    public bool WakeArmed => Volatile.Read(ref _wakeArmed);

    /// <summary>Whether the guest ejected the function (_EJ0); safe to read from any thread.
    /// Nothing brings it back: the slot stays empty for this device's life.</summary>
    public bool IsEjected => Volatile.Read(ref _ejected);

    /// <summary>Notify codes <see cref="PostNotify"/> dropped because the mailbox was full.</summary>
    public long DroppedNotifies => Interlocked.Read(ref _droppedNotifies);

    /// <summary>Notify codes queued and not yet read by the guest.</summary>
    public int PendingNotifies
    {
        get
        {
            lock (_lock)
            {
                return _queueCount;
            }
        }
    }

    /// <summary>Guest writes dropped: an unknown command, another offset or another width.</summary>
    public long IgnoredWrites => Interlocked.Read(ref _ignoredWrites);

    /// <summary>Raised for every known command the guest writes, even one that changes nothing
    /// (the VMM decides what it means), on the writing vCPU's thread after the state changed and
    /// outside the device's lock; what a handler throws reaches that vCPU.</summary>
    public event Action<SlotPowerCommand>? CommandWritten;

    /// <inheritdoc/>
    public void Read(ulong offset, Span<byte> data)
    {
        data.Clear();
        if (offset == CommandOffset && data.Length == 1)
        {
            data[0] = PowerResourceOn ? (byte)1 : (byte)0;
        }
        else if (offset == StatusOffset && data.Length == 1)
        {
            data[0] = IsEjected ? (byte)0 : PresentStatus;
        }
        else if (offset == NotifyOffset && data.Length == 2)
        {
            ushort popped = Pop(out long queuedAt);
            BinaryPrimitives.WriteUInt16LittleEndian(data, popped);
            if (popped != 0 && queuedAt != 0)
            {
                NotifyRead?.Invoke(Stopwatch.GetElapsedTime(queuedAt));
            }
        }
    }

    /// <summary>Raised when the guest's notify method read a queued code out of the mailbox (the
    /// method is running), with how long the code waited there since <see cref="PostNotify"/>
    /// queued it; on the reading vCPU's thread, outside the device's lock, one per code. Not for
    /// codes restored from a snapshot (their wait began in another process).</summary>
    public event Action<TimeSpan>? NotifyRead;

    /// <inheritdoc/>
    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        if (offset != CommandOffset || data.Length != 1 || !Enum.IsDefined((SlotPowerCommand)data[0]))
        {
            Interlocked.Increment(ref _ignoredWrites);
            return;
        }
        var command = (SlotPowerCommand)data[0];
        lock (_lock)
        {
            Apply(command);
        }
        CommandWritten?.Invoke(command);
    }

    /// <summary>Whether <see cref="PostNotify"/> would queue a code now (fewer than
    /// <see cref="NotifyCapacity"/> queued), or drop it because the function was ejected: false
    /// only while the guest has not read a full mailbox, so a caller can leave codes where they
    /// are until it has.</summary>
    public bool CanTakeNotify
    {
        get
        {
            lock (_lock)
            {
                return _ejected || _queueCount < NotifyCapacity;
            }
        }
    }

    /// <summary>Queues <paramref name="code"/> for the guest and raises <see cref="NotifyGpe"/>;
    /// safe from any thread. Returns false, counting it in <see cref="DroppedNotifies"/> and
    /// raising nothing, when <see cref="NotifyCapacity"/> codes are already queued or the function
    /// was ejected (its Device is gone from the guest's view).</summary>
    /// <remarks>The GPE is raised after the code is queued, so a drain that already found the
    /// mailbox empty is followed by another run that finds this code.</remarks>
    public bool PostNotify(byte code)
    {
        lock (_lock)
        {
            if (_queueCount == NotifyCapacity || _ejected)
            {
                Interlocked.Increment(ref _droppedNotifies);
                return false;
            }
            _queue[(_queueHead + _queueCount) % NotifyCapacity] = code;
            _queuedAt[(_queueHead + _queueCount) % NotifyCapacity] = Stopwatch.GetTimestamp();
            _queueCount++;
        }
        _raiseGpe(NotifyGpe);
        return true;
    }

    /// <summary>Raises <see cref="WakeGpe"/>, whose method notifies the device with Device Wake;
    /// safe from any thread. Whether the guest armed wake is the caller's to check
    /// (<see cref="WakeArmed"/>): the GPE is only delivered once the guest enabled it.</summary>
    public void SignalWake() => _raiseGpe(WakeGpe);

    /// <summary>Back to power-on state for a guest reboot: mailbox empty, D0, power on, wake
    /// disarmed. The counters keep counting, and an ejected function stays ejected: a reboot does
    /// not put a removed card back.</summary>
    public void Reset()
    {
        lock (_lock)
        {
            _queueHead = 0;
            _queueCount = 0;
            Volatile.Write(ref _state, (int)SlotDeviceState.D0);
            Volatile.Write(ref _wakeArmed, false);
        }
    }

    /// <summary>The objects that go inside the slot's Device, after _ADR and _SUN (add each to
    /// its <see cref="PciSlotAml"/>); names are relative, so every slot has its own.</summary>
    public IReadOnlyList<IAml> SlotObjects()
    {
        IAml command = new AmlPath(CommandField);
        AmlIf dsw = new(new AmlArg(0), Store(SlotPowerCommand.EnableWake))
        {
            Else = [Store(SlotPowerCommand.DisableWake)],
        };
        return
        [
            new AmlOperationRegion(RegionName, AcpiAddressSpace.SystemIO, Port.Value, WindowLength),
            new AmlField(RegionName, AmlFieldAccess.ByteAcc, false, AmlFieldUpdate.Preserve,
                AmlFieldUnit.Named(CommandField, 8), AmlFieldUnit.Named(StatusField, 8)),
            new AmlField(RegionName, AmlFieldAccess.WordAcc, false, AmlFieldUpdate.Preserve,
                AmlFieldUnit.Reserved(8 * NotifyOffset), AmlFieldUnit.Named(NotifyField, 16)),
            // ACPI 6.5 §7.2: system level 0 (the resource may be off in S0), resource order 0.
            new AmlPowerResource(PowerResourceName, 0, 0,
                // The register reads 1 exactly while the resource is on: _STA's bit 0.
                new AmlMethod("_STA", 0, false, new AmlReturn(command)),
                new AmlMethod("_ON", 0, false, Store(SlotPowerCommand.PowerOn)),
                new AmlMethod("_OFF", 0, false, Store(SlotPowerCommand.PowerOff))),
            // ACPI 6.5 §7.3.8 / §7.3.11: the same resource powers D0 and D3hot, so turning it
            // off is D3cold.
            new AmlName("_PR0", new AmlPackage(new AmlPath(PowerResourceName))),
            new AmlName("_PR3", new AmlPackage(new AmlPath(PowerResourceName))),
            new AmlMethod("_PS0", 0, false, Store(SlotPowerCommand.EnterD0)),
            new AmlMethod("_PS3", 0, false, Store(SlotPowerCommand.EnterD3Hot)),
            new AmlName("_S0W", new AmlInteger(S0WakeD3Cold)),
            new AmlName("_PRW", new AmlPackage(new AmlInteger((ulong)WakeGpe), new AmlInteger(WakeSleepState))),
            // ACPI 6.5 §7.3.1 _DSW (enable, target system state, target device state).
            new AmlMethod("_DSW", 3, false, dsw),
            // ACPI 6.5 §6.3.7: the register answers the whole status byte.
            new AmlMethod("_STA", 0, false, new AmlReturn(new AmlPath(StatusField))),
        ];
    }

    /// <inheritdoc/>
    public void AppendTo(AmlSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        GpeNotifyMethod.WithCode(WakeGpe, GpeTrigger.Edge, Device, DeviceWakeNotify).AppendTo(sink);

        var code = new AmlLocal(0);
        var drained = new AmlLocal(1);
        var drain = new AmlMethod($"_E{NotifyGpe:X2}", 0, false,
            new AmlStore(AmlInteger.Zero, drained),
            new AmlWhile(new AmlCompare(AmlCompareOperator.LLess, drained, new AmlInteger(NotifyCapacity)),
                new AmlStore(new AmlPath($"{Device}.{NotifyField}"), code),
                new AmlIf(new AmlCompare(AmlCompareOperator.LEqual, code, AmlInteger.Zero), AmlBreak.Instance),
                new AmlNotify(Device, new AmlBinary(AmlBinaryOperator.And, code, new AmlInteger(0xFF))),
                new AmlUnary(AmlUnaryOperator.Increment, drained)));
        sink.Append(new AmlScope("\\_GPE", drain));
    }

    /// <inheritdoc/>
    public string PowerName => $"slot power {Device}";

    /// <summary>Nothing of its own to stop: the device acts only on guest accesses and host
    /// posts, and what a post raises lands in the GPE block, which holds it while the guest
    /// sleeps (or wakes the guest, as that block decides).</summary>
    public void Sleep()
    {
    }

    /// <inheritdoc/>
    public void Wake()
    {
    }

    /// <inheritdoc/>
    public object Snapshot() => GetState();

    /// <summary>The function number the slot's eject object claims: one no device of Vireo's has
    /// (they are single-function), so no PCI function gets this object as its ACPI companion.</summary>
    public const int EjectFunction = 7;

    /// <summary>
    /// The slot's eject object, a Device just before the slot's own (in the bus's scope) named
    /// <paramref name="name"/>: <c>_ADR</c> (slot, function <see cref="EjectFunction"/>),
    /// <c>_SUN</c> <paramref name="slot"/>, and <c>_EJ0</c>, which writes Eject to this window.
    /// </summary>
    /// <remarks>Not on the slot's Device itself: Linux's acpi_pci_set_power_state (pci-acpi.c)
    /// ignores the ACPI power methods of a PCI device whose companion has _EJ0, which would stop
    /// its runtime PM at a native D3hot. acpiphp (acpiphp_glue.c acpiphp_add_context) groups ACPI
    /// objects into slots by the device number of their _ADR and registers the slot as a hotplug
    /// slot only when the first of them it meets has _EJ0 (acpi_pcihp.c pcihp_is_ejectable), hence
    /// before the slot's Device (<see cref="PciSlotAml.AddSibling"/>); on Notify (slot device, 3)
    /// acpiphp_disable_and_eject_slot removes every PCI function of the slot, trims their ACPI
    /// devices (_PS3 and the resource's _OFF for function 0), then runs the first _EJ0 it finds:
    /// this one.</remarks>
    /// <param name="name">The object's NameSeg, e.g. <c>E03_</c>.</param>
    /// <param name="slot">The slot's device number on the bus.</param>
    public AmlDevice EjectObject(string name, int slot)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)slot, 31u, nameof(slot));
        return new AmlDevice(name,
        [
            new AmlName("_ADR", new AmlInteger(((ulong)slot << 16) | EjectFunction)),
            new AmlName("_SUN", new AmlInteger((ulong)slot)),
            // ACPI 6.5 §6.3.3 _EJx: Arg0 1 ejects; 0 cancels a mark for ejection, which this
            // slot never sets, so there is nothing to write.
            new AmlMethod("_EJ0", 1, false, new AmlIf(new AmlArg(0),
                new AmlStore(new AmlInteger((byte)SlotPowerCommand.Eject), new AmlPath($"{Device}.{CommandField}")))),
        ]);
    }

    private static AmlStore Store(SlotPowerCommand command) =>
        new(new AmlInteger((byte)command), new AmlPath(CommandField));

    // Under _lock. PCI PM 1.2 §5.4: power restored means D0 uninitialized; D3cold is left only
    // by restoring power, so _PS0 alone cannot bring it back.
    private void Apply(SlotPowerCommand command)
    {
        var state = (SlotDeviceState)_state;
        SlotDeviceState next = command switch
        {
            SlotPowerCommand.EnterD0 when state == SlotDeviceState.D3Hot => SlotDeviceState.D0,
            SlotPowerCommand.EnterD3Hot when state == SlotDeviceState.D0 => SlotDeviceState.D3Hot,
            SlotPowerCommand.PowerOff => SlotDeviceState.D3Cold,
            SlotPowerCommand.PowerOn when state == SlotDeviceState.D3Cold => SlotDeviceState.D0,
            _ => state,
        };
        Volatile.Write(ref _state, (int)next);
        if (command is SlotPowerCommand.EnableWake or SlotPowerCommand.DisableWake)
        {
            Volatile.Write(ref _wakeArmed, command == SlotPowerCommand.EnableWake);
        }
        else if (command == SlotPowerCommand.Eject)
        {
            Volatile.Write(ref _ejected, true);
        }
    }

    private ushort Pop(out long queuedAt)
    {
        lock (_lock)
        {
            queuedAt = 0;
            if (_queueCount == 0)
            {
                return 0;
            }
            byte code = _queue[_queueHead];
            queuedAt = _queuedAt[_queueHead];
            _queueHead = (_queueHead + 1) % NotifyCapacity;
            _queueCount--;
            return (ushort)(NotifyPending | code);
        }
    }
}
