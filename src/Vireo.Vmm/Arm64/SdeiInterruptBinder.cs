using Vireo.Sdei;

namespace Vireo.Vmm.Arm64;

/// <summary>
/// The interrupts Vireo owns on the arm64 machine and offers to INTERRUPT_BIND: its devices'
/// SPIs (<see cref="SdeiBindableLine"/>). PPIs (the architected timer's, the GIC maintenance
/// interrupt) belong to KVM and are not offered, so FEATURES(BIND_SLOTS) reports no private slot.
/// </summary>
public sealed class SdeiInterruptBinder : ISdeiInterruptBinder
{
    private readonly Dictionary<uint, SdeiBindableLine> _lines;
    private SdeiDispatcher? _dispatcher;

    /// <summary>A binder over <paramref name="lines"/>, one per INTID.</summary>
    public SdeiInterruptBinder(IEnumerable<SdeiBindableLine> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        _lines = [];
        foreach (SdeiBindableLine line in lines)
        {
            if (line.Intid < Kvm.KvmArmIrqLine.FirstSpi)
            {
                throw new ArgumentException($"INTID {line.Intid} is not an SPI; only Vireo's own SPIs can be bound", nameof(lines));
            }
            if (!_lines.TryAdd(line.Intid, line))
            {
                throw new ArgumentException($"two lines drive INTID {line.Intid}", nameof(lines));
            }
        }
    }

    /// <summary>Connects the dispatcher the bound lines signal; once, before any vCPU runs.</summary>
    public void Attach(SdeiDispatcher dispatcher)
    {
        ArgumentNullException.ThrowIfNull(dispatcher);
        if (_dispatcher is not null)
        {
            throw new InvalidOperationException("the binder is attached to a dispatcher already");
        }
        _dispatcher = dispatcher;
    }

    /// <inheritdoc />
    public SdeiBindOutcome Bind(uint intid)
    {
        if (!_lines.TryGetValue(intid, out SdeiBindableLine? line))
        {
            return SdeiBindOutcome.NotBindable;
        }
        SdeiDispatcher dispatcher = _dispatcher ?? throw new InvalidOperationException("the binder has no dispatcher attached");
        return line.Bind(dispatcher) ? SdeiBindOutcome.Shared : SdeiBindOutcome.Denied;
    }

    /// <inheritdoc />
    public void Release(uint intid)
    {
        if (_lines.TryGetValue(intid, out SdeiBindableLine? line))
        {
            line.Release();
        }
    }

    /// <inheritdoc />
    public (int PrivateSlots, int SharedSlots) FreeSlots => (0, _lines.Values.Count(l => !l.IsBound));
}
