namespace Vireo.Sdei;

/// <summary>What the dispatcher asks of the VMM: make a vCPU leave the guest so an event can be delivered.</summary>
public interface ISdeiHost
{
    /// <summary>
    /// vCPU <paramref name="vcpu"/> has an event to take. The host kicks it (or notes it if it is already out of
    /// KVM_RUN) and calls <see cref="SdeiDispatcher.Deliver"/> on that vCPU's thread before it re-enters the guest.
    /// Called under the dispatcher's lock: must not block and must not call back into the dispatcher.
    /// </summary>
    void RequestDelivery(int vcpu);
}
