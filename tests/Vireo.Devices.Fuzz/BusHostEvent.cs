namespace Vireo.Devices.Fuzz;

/// <summary>What a <see cref="BusOp.Host"/> record does (its first byte, modulo the count); the
/// second byte is the argument. A new event goes at the end: it changes the count, and so what
/// first bytes from the count up mean (none of the seeds' records: they hold the values below).</summary>
public enum BusHostEvent : byte
{
    /// <summary>1 to 8 bytes of host input arrive on COM1 (Enqueue: overrun when full).</summary>
    SerialInput = 0,
    /// <summary>The power button.</summary>
    PowerButton = 1,
    /// <summary>A GPE (argument modulo the GPE count).</summary>
    RaiseGpe = 2,
    /// <summary>GBL_STS raised.</summary>
    RaiseGlobalEvent = 3,
    /// <summary>GBL_STS cleared.</summary>
    ClearGlobalEvent = 4,
    /// <summary>A notify code (the argument) posted to the slot's mailbox.</summary>
    SlotNotify = 5,
    /// <summary>The power-managed function woke by itself.</summary>
    SlotWake = 6,
    /// <summary>The first function raises an MSI-X vector (argument modulo its count).</summary>
    MsixSignal = 7,
    /// <summary>The machine pauses and resumes every device with power hooks.</summary>
    SleepWake = 8,
    /// <summary>The GPIO power key pressed (a press while it is down is the same press); the clock
    /// (<see cref="BusOp.Time"/>) lets it go <see cref="GpioPowerKey.HoldTime"/> later, and a
    /// <see cref="SleepWake"/> while it is down starts the hold again.</summary>
    PowerKeyPress = 9,
}
