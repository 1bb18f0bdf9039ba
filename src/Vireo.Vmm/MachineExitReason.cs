namespace Vireo.Vmm;

/// <summary>Why a machine's run ended.</summary>
public enum MachineExitReason
{
    /// <summary>Every vCPU executed HLT with nothing to wake it.</summary>
    Halted,

    /// <summary>A vCPU triple-faulted (a PC resets on this).</summary>
    Shutdown,

    /// <summary>The guest asked for a reset (i8042 0xFE, or a KVM reset system event).</summary>
    Reset,

    /// <summary>The guest powered itself off (ACPI S5, or a KVM shutdown system event).</summary>
    PowerOff,

    /// <summary>The host stopped it (signal, API, test).</summary>
    Stopped,

    /// <summary>KVM could not run a vCPU.</summary>
    Failed,
}
