namespace Vireo.Sdei;

/// <summary>SDEI function identifiers: SMC64 fast calls in the standard secure service range.</summary>
/// <remarks>
/// Arm DEN0054 (SDEI 1.1) §5 "Function definitions"; the same numbering as Linux
/// include/uapi/linux/arm_sdei.h (SDEI_1_0_FN_BASE 0xC4000020). EVENT_SIGNAL and FEATURES are new in 1.1.
/// </remarks>
public enum SdeiFunction : uint
{
    /// <summary>SDEI_VERSION: the implemented version and vendor.</summary>
    Version = 0xC400_0020,
    /// <summary>SDEI_EVENT_REGISTER: sets an event's handler entry point, argument and routing.</summary>
    EventRegister = 0xC400_0021,
    /// <summary>SDEI_EVENT_ENABLE: lets a registered event be dispatched.</summary>
    EventEnable = 0xC400_0022,
    /// <summary>SDEI_EVENT_DISABLE: stops an event from being dispatched.</summary>
    EventDisable = 0xC400_0023,
    /// <summary>SDEI_EVENT_CONTEXT: reads a saved register of the interrupted context from inside a handler.</summary>
    EventContext = 0xC400_0024,
    /// <summary>SDEI_EVENT_COMPLETE: ends the handler and returns to the interrupted context.</summary>
    EventComplete = 0xC400_0025,
    /// <summary>SDEI_EVENT_COMPLETE_AND_RESUME: ends the handler and resumes at a given address as if an exception had been taken.</summary>
    EventCompleteAndResume = 0xC400_0026,
    /// <summary>SDEI_EVENT_UNREGISTER: drops an event's handler (pending until a running handler completes).</summary>
    EventUnregister = 0xC400_0027,
    /// <summary>SDEI_EVENT_STATUS: whether an event is registered, enabled and running.</summary>
    EventStatus = 0xC400_0028,
    /// <summary>SDEI_EVENT_GET_INFO: one property of an event, chosen by a <see cref="SdeiEventInfoKind"/>.</summary>
    EventGetInfo = 0xC400_0029,
    /// <summary>SDEI_EVENT_ROUTING_SET: changes a shared event's routing mode and affinity.</summary>
    EventRoutingSet = 0xC400_002A,
    /// <summary>SDEI_PE_MASK: stops dispatch to the calling PE.</summary>
    PeMask = 0xC400_002B,
    /// <summary>SDEI_PE_UNMASK: allows dispatch to the calling PE again.</summary>
    PeUnmask = 0xC400_002C,
    /// <summary>SDEI_INTERRUPT_BIND: turns a GIC interrupt into an SDEI event and returns its event number.</summary>
    InterruptBind = 0xC400_002D,
    /// <summary>SDEI_INTERRUPT_RELEASE: gives a bound interrupt back to the normal interrupt path.</summary>
    InterruptRelease = 0xC400_002E,
    /// <summary>SDEI_EVENT_SIGNAL (1.1): signals event 0 to a PE.</summary>
    EventSignal = 0xC400_002F,
    /// <summary>SDEI_FEATURES (1.1): which optional features (bind slots, relative mode) are there.</summary>
    Features = 0xC400_0030,
    /// <summary>SDEI_PRIVATE_RESET: unregisters every private event of the calling PE.</summary>
    PrivateReset = 0xC400_0031,
    /// <summary>SDEI_SHARED_RESET: unregisters every shared event and releases bound interrupts.</summary>
    SharedReset = 0xC400_0032,
}
