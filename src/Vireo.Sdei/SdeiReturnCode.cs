namespace Vireo.Sdei;

/// <summary>SDEI status codes returned in x0 (sign-extended to 64 bits).</summary>
/// <remarks>Arm DEN0054 §5.1 "Return codes"; NOT_SUPPORTED equals SMCCC's unknown-function -1.</remarks>
public enum SdeiReturnCode : long
{
    /// <summary>SDEI_SUCCESS.</summary>
    Success = 0,
    /// <summary>SDEI_NOT_SUPPORTED: unknown function or feature.</summary>
    NotSupported = -1,
    /// <summary>SDEI_INVALID_PARAMETERS: an argument is out of range or names no such event.</summary>
    InvalidParameters = -2,
    /// <summary>SDEI_DENIED: the call is not allowed in the event's or the PE's current state.</summary>
    Denied = -3,
    /// <summary>SDEI_PENDING: the operation completes later (unregister while the handler runs).</summary>
    Pending = -5,
    /// <summary>SDEI_OUT_OF_RESOURCE: no free slot (for instance no interrupt can be bound).</summary>
    OutOfResource = -10,
}
