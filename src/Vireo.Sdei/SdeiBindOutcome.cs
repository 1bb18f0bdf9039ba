namespace Vireo.Sdei;

/// <summary>The binder's answer to INTERRUPT_BIND for one interrupt (DEN0054 §5.1.14).</summary>
public enum SdeiBindOutcome : byte
{
    /// <summary>A per-PE interrupt (PPI): it becomes a private event.</summary>
    Private = 0,

    /// <summary>A shared interrupt (SPI): it becomes a shared event.</summary>
    Shared = 1,

    /// <summary>Not an interrupt that can be bound: INVALID_PARAMETERS.</summary>
    NotBindable = 2,

    /// <summary>Bindable but currently in use otherwise: DENIED.</summary>
    Denied = 3,

    /// <summary>No room to bind another: OUT_OF_RESOURCE.</summary>
    OutOfResource = 4,
}
