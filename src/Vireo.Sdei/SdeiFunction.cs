namespace Vireo.Sdei;

/// <summary>SDEI function identifiers: SMC64 fast calls in the standard secure service range.</summary>
/// <remarks>
/// Arm DEN0054 (SDEI 1.1) §5 "Function definitions"; the same numbering as Linux
/// include/uapi/linux/arm_sdei.h (SDEI_1_0_FN_BASE 0xC4000020). EVENT_SIGNAL and FEATURES are new in 1.1.
/// </remarks>
public enum SdeiFunction : uint
{
    Version = 0xC400_0020,
    EventRegister = 0xC400_0021,
    EventEnable = 0xC400_0022,
    EventDisable = 0xC400_0023,
    EventContext = 0xC400_0024,
    EventComplete = 0xC400_0025,
    EventCompleteAndResume = 0xC400_0026,
    EventUnregister = 0xC400_0027,
    EventStatus = 0xC400_0028,
    EventGetInfo = 0xC400_0029,
    EventRoutingSet = 0xC400_002A,
    PeMask = 0xC400_002B,
    PeUnmask = 0xC400_002C,
    InterruptBind = 0xC400_002D,
    InterruptRelease = 0xC400_002E,
    EventSignal = 0xC400_002F,
    Features = 0xC400_0030,
    PrivateReset = 0xC400_0031,
    SharedReset = 0xC400_0032,
}
