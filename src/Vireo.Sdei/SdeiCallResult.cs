namespace Vireo.Sdei;

/// <summary>What a call did to the caller: either returned x0..x3, or resumed an interrupted context.</summary>
/// <param name="Returned">
/// True when the call returned normally and x0..x3 were written to the caller; false after a successful
/// EVENT_COMPLETE / COMPLETE_AND_RESUME, which never return to the caller (DEN0054 §5.1.5–§5.1.6).
/// </param>
/// <param name="X0">x0 as the caller sees it: the status code or the call's value.</param>
/// <param name="X1">x1 as the caller sees it.</param>
/// <param name="X2">x2 as the caller sees it.</param>
/// <param name="X3">x3 as the caller sees it.</param>
/// <param name="Delivered">True when an event was delivered to the caller on the way out (its handler is now entered).</param>
public readonly record struct SdeiCallResult(bool Returned, ulong X0, ulong X1, ulong X2, ulong X3, bool Delivered)
{
    /// <summary>x0 read as an SDEI status code.</summary>
    public SdeiReturnCode Code => (SdeiReturnCode)(long)X0;
}
