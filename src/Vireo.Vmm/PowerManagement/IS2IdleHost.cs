namespace Vireo.Vmm;

/// <summary>
/// What <see cref="S2IdleStateMachine"/> asks of the VMM. Every call comes from the control
/// loop's thread (<see cref="ControlLoop"/>), never from a vCPU thread, and the calls strictly
/// alternate: <see cref="ParkVcpus"/>, then optionally
/// <see cref="InjectWake"/>, then <see cref="UnparkVcpus"/>, then the next park.
/// </summary>
public interface IS2IdleHost
{
    /// <summary>
    /// Stops the guest: returns only once every vCPU is out of KVM_RUN and held there. The vCPU
    /// whose LPS0 entry trap started the cycle marked itself parked inside its exit, so it is
    /// already on its way out; the others are kicked.
    /// </summary>
    void ParkVcpus();

    /// <summary>Lets every vCPU run again; must not block on the vCPUs. A vCPU it releases may
    /// make its next entry trap (and mark itself parked) before this call has returned, so the two
    /// must not interleave per vCPU (<see cref="Machine.Park"/> says how).</summary>
    void UnparkVcpus();

    /// <summary>
    /// Makes the guest see a wake event before any vCPU runs again: press the fixed-feature power
    /// button, <c>AcpiPmDevice.PressPowerButton()</c>. Called only while the vCPUs are parked,
    /// between an LPS0 entry and the matching exit.
    /// </summary>
    /// <remarks>
    /// Linux's acpi_s2idle_wake takes a wakeup as genuine when the SCI fired and an enabled fixed
    /// event's status is set (acpi_any_fixed_event_status_set), which PWRBTN_STS with PWRBTN_EN is:
    /// the ACPI button driver enables it at boot for the fixed power button (no POWER_BUTTON flag in
    /// the FADT), with no _PRW, no wake GPE and no per-device wakeup setting that could be off. A
    /// GPE would only wake if a device with _PRW on it were wakeup-enabled, which is off by default
    /// for anything but buttons. The press cannot turn into a power-off: between the LPS0 entry and
    /// exit calls the button driver is suspended, and the event is drained in acpi_s2idle_restore
    /// before it resumes, so it only counts as a wakeup (button.c acpi_button_notify). That is why
    /// the state machine never injects outside that window.
    /// </remarks>
    void InjectWake();
}
