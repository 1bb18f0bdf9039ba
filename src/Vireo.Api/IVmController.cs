namespace Vireo.Api;

/// <summary>What the management API asks of the VMM. The API calls these on thread-pool threads,
/// possibly several at once, so an implementation must be thread-safe; a call should return
/// promptly (start the transition and report progress through <see cref="Events"/>).
/// An action that is not valid in the VM's current state throws <see cref="VmStateException"/>
/// (HTTP 409); an argument the machine cannot honour, such as a GPE it does not have, throws
/// <see cref="ArgumentException"/> (HTTP 400); an action this machine does not implement throws
/// <see cref="NotSupportedException"/> (HTTP 501). Anything else is a VMM bug and becomes a 500
/// without taking the API server down.</summary>
public interface IVmController
{
    /// <summary>A snapshot of the VM's state, served by <c>GET /api/v1/vm.info</c>.</summary>
    VmInfo Info();

    /// <summary>Presses the ACPI power button (fixed event PWRBTN_STS plus an SCI).</summary>
    void PowerButton();

    /// <summary>Stops the VM: the guest gets the power button and the VMM shuts down once the
    /// guest powers off; with <paramref name="force"/>, the VMM stops the vCPUs at once.</summary>
    void Shutdown(bool force);

    /// <summary>Stops every vCPU without the guest noticing.</summary>
    void Pause();

    /// <summary>Restarts the vCPUs stopped by <see cref="Pause"/>.</summary>
    void Resume();

    /// <summary>Sets the status bit of general-purpose event <paramref name="gpe"/> and raises the
    /// SCI if the guest enabled it. The API has already checked 0 ≤ gpe ≤ 255.</summary>
    void RaiseGpe(int gpe);

    /// <summary>Wakes a guest that is suspended (s2idle) with a wake event; with
    /// <paramref name="delay"/>, the wake fires that long from now, so it can be armed before
    /// the guest goes to sleep.</summary>
    void Wake(TimeSpan? delay);

    /// <summary>Where the VMM publishes VM events; the API gives each <c>vm.events</c> client its
    /// own bounded subscription.</summary>
    VmEventHub Events { get; }
}
