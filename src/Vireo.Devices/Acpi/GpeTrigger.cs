namespace Vireo.Devices;

/// <summary>How OSPM treats a GPE, named by its handler: <c>_Exx</c> for edge, <c>_Lxx</c> for
/// level (ACPI 6.5 §5.6.4.1). A level GPE is cleared only after its method ran.</summary>
public enum GpeTrigger
{
    /// <summary>Edge-triggered: OSPM clears the status bit before it runs <c>_Exx</c>.</summary>
    Edge,
    /// <summary>Level-triggered: OSPM runs <c>_Lxx</c>, then clears the status bit.</summary>
    Level,
}
