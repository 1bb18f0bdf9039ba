namespace Vireo.Vmm;

/// <summary>Signals SDEI event <see cref="Event"/> from the host (<c>vm.sdei</c>): a private event
/// on vCPU <see cref="Cpu"/> (every vCPU when null), a shared one where the guest routed it. The
/// event is delivered when the guest has it registered, enabled and unmasked; otherwise the
/// request fails saying why (the dispatcher's answer).</summary>
public sealed class SignalSdeiEvent(uint eventNumber, int? cpu) : VmmRequest<VmmAck>
{
    /// <summary>The SDEI event number.</summary>
    public uint Event { get; } = eventNumber;

    /// <summary>The vCPU index for a private event; null for every vCPU, or for a shared event.</summary>
    public int? Cpu { get; } = cpu;
}
