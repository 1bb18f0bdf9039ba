namespace Vireo.Vmm;

/// <summary>
/// What <see cref="S2IdleStateMachine"/> asks of the VMM. It never calls these with its lock
/// held, and the calls strictly alternate: <see cref="ParkVcpus"/>, then optionally
/// <see cref="InjectWake"/>, then <see cref="UnparkVcpus"/>, then the next park.
/// </summary>
public interface IS2IdleHost
{
    /// <summary>
    /// Stops the guest. Called on the vCPU thread whose LPS0 entry trap started the cycle, while
    /// that vCPU is still inside its port-I/O exit. Must return only once every other vCPU is out
    /// of KVM_RUN and held there, and must also hold the calling vCPU before it re-enters KVM_RUN
    /// (it cannot wait for itself: it is the caller). Other vCPUs may be inside their own exits
    /// and call into the state machine meanwhile; that never blocks.
    /// </summary>
    void ParkVcpus();

    /// <summary>Lets every vCPU run again. May be called from any thread; must not block on the vCPUs.
    /// A vCPU it releases may trap into the next <see cref="ParkVcpus"/> before this call has
    /// returned, so the two must not interleave per vCPU (<see cref="Machine.Park"/> says how).</summary>
    void UnparkVcpus();

    /// <summary>
    /// Makes the guest see a wake event before any vCPU runs again: press the fixed-feature power
    /// button, <c>AcpiPmDevice.PressPowerButton()</c>. Called only while the vCPUs are parked,
    /// between an LPS0 entry and the matching exit, from any thread.
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
