namespace Vireo.Sdei;

/// <summary>
/// The VMM's interrupts a guest may turn into SDEI events with INTERRUPT_BIND. While bound, the VMM stops
/// injecting that interrupt into the GIC and calls <see cref="SdeiDispatcher.SignalInterrupt"/> instead.
/// </summary>
public interface ISdeiInterruptBinder
{
    /// <summary>Take interrupt <paramref name="intid"/> away from the GIC, or say why not.</summary>
    SdeiBindOutcome Bind(uint intid);

    /// <summary>Give interrupt <paramref name="intid"/> back to the GIC.</summary>
    void Release(uint intid);

    /// <summary>How many PPIs and SPIs could still be bound, for FEATURES(BIND_SLOTS) (each capped at 0xFFFF).</summary>
    (int PrivateSlots, int SharedSlots) FreeSlots { get; }
}
