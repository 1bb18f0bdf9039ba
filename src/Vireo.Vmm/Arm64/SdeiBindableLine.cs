using Vireo.Devices;
using Vireo.Sdei;

namespace Vireo.Vmm.Arm64;

/// <summary>
/// One of Vireo's device interrupt lines that a guest may turn into an SDEI event with
/// INTERRUPT_BIND (DEN0054 §5.1.14). Unbound, it drives the GIC through <c>gic</c>; bound, the
/// GIC line is held low and each rising edge of the device's level signals the bound event
/// instead (<see cref="SdeiDispatcher.SignalInterrupt"/>) — once per edge: a handler clears the
/// device's cause as it would acknowledge the interrupt, and the next assertion signals again.
/// Released, the GIC gets the line's current level back.
/// </summary>
public sealed class SdeiBindableLine(IInterruptLine gic, uint intid) : IInterruptLine
{
    private readonly object _gate = new();
    private bool _level;
    private bool _bound;
    private SdeiDispatcher? _dispatcher;

    /// <summary>The GIC interrupt ID the line drives (an SPI: INTID 32 and up).</summary>
    public uint Intid { get; } = intid;

    /// <summary>True while the guest has it bound to an SDEI event.</summary>
    public bool IsBound
    {
        get
        {
            lock (_gate)
            {
                return _bound;
            }
        }
    }

    /// <inheritdoc />
    public void Set(bool asserted)
    {
        SdeiDispatcher? signal = null;
        lock (_gate)
        {
            bool rising = asserted && !_level;
            _level = asserted;
            if (!_bound)
            {
                gic.Set(asserted);
                return;
            }
            if (rising)
            {
                signal = _dispatcher;
            }
        }
        // Outside the line's lock: the dispatcher calls Bind/Release under its own lock, so the
        // order is always dispatcher, then line. A release racing this finds the event gone and
        // the dispatcher answers INVALID_PARAMETERS, which drops the edge as the GIC's would be.
        signal?.SignalInterrupt(Intid);
    }

    /// <summary>Takes the line from the GIC for <paramref name="dispatcher"/>; false when it is bound already.</summary>
    internal bool Bind(SdeiDispatcher dispatcher)
    {
        lock (_gate)
        {
            if (_bound)
            {
                return false;
            }
            _bound = true;
            _dispatcher = dispatcher;
            gic.Set(false);
            return true;
        }
    }

    /// <summary>Gives the line back to the GIC at its current level.</summary>
    internal void Release()
    {
        lock (_gate)
        {
            _bound = false;
            _dispatcher = null;
            gic.Set(_level);
        }
    }
}
