namespace Vireo.Sdei;

/// <summary>SDEI status codes returned in x0 (sign-extended to 64 bits).</summary>
/// <remarks>Arm DEN0054 §5.1 "Return codes"; NOT_SUPPORTED equals SMCCC's unknown-function -1.</remarks>
public enum SdeiReturnCode : long
{
    Success = 0,
    NotSupported = -1,
    InvalidParameters = -2,
    Denied = -3,
    Pending = -5,
    OutOfResource = -10,
}
