namespace Vireo.Sdei;

/// <summary>What a call did to the caller: either returned x0..x3, or resumed an interrupted context.</summary>
/// <param name="Returned">
/// True when the call returned normally and x0..x3 were written to the caller; false after a successful
/// EVENT_COMPLETE / COMPLETE_AND_RESUME, which never return to the caller (DEN0054 §5.1.5–§5.1.6).
/// </param>
/// <param name="Delivered">True when an event was delivered to the caller on the way out (its handler is now entered).</param>
public readonly record struct SdeiCallResult(bool Returned, ulong X0, ulong X1, ulong X2, ulong X3, bool Delivered)
{
    /// <summary>x0 read as an SDEI status code.</summary>
    public SdeiReturnCode Code => (SdeiReturnCode)(long)X0;
}
