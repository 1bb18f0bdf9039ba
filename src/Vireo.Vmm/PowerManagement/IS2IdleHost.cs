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
    /// Makes the guest see a wake event before any vCPU runs again: raise the fixed-feature global
    /// event, <c>AcpiPmDevice.RaiseGlobalEvent()</c> (GBL_STS). Called only while the vCPUs are
    /// parked, between an LPS0 entry and the matching exit.
    /// </summary>
    /// <remarks>
    /// <para>The wake must work with no guest driver loaded: Debian builds the ACPI button driver
    /// as a module (CONFIG_ACPI_BUTTON=m), and without it PWRBTN_EN is never set, so a power-button
    /// press raises no SCI and a guest whose initramfs loads no modules never resumes. Linux 6.1
    /// and mainline decide in acpi_s2idle_wake (drivers/acpi/sleep.c) whether an SCI that fired
    /// while suspended is a wakeup; the first test after "the SCI did fire" is
    /// acpi_any_fixed_event_status_set (acpica/evevent.c): any fixed event whose status and
    /// enable bits are both set. GBL_EN is set by ACPICA itself, built in, on every platform that
    /// is not hardware-reduced: acpi_enable_subsystem → acpi_ev_install_xrupt_handlers →
    /// acpi_ev_init_global_lock_handler installs the global-lock handler with
    /// acpi_install_fixed_event_handler(ACPI_EVENT_GLOBAL), which enables the event. Once resumed,
    /// a GBL_STS the guest's SCI handler sees is cleared by acpi_ev_fixed_event_dispatch and taken
    /// by acpi_ev_global_lock_handler as spurious when no lock request is pending: it has no
    /// meaning that could outlive the wake (a late power-button SCI is a KEY_POWER, and a late
    /// GBL_STS is nothing). ACPI 6.5 Table 4.11 defines GBL_STS as the platform firmware wanting
    /// the attention of the SCI handler, which is what the VMM is doing.</para>
    /// <para>Rejected: the fixed power button (needs button.ko, see above; it stays the power-off
    /// request). A control-method power button (PNP0C0C) whose _PRW names a wake GPE: on 6.1 the
    /// core does mark it (acpi_wakeup_gpe_init in scan.c: acpi_mark_gpe_for_wake, which only
    /// flags the GPE CAN_WAKE, and device_set_wakeup_capable), and acpi_wakeup_device_init (bus.c
    /// acpi_init) makes it may-wakeup, so acpi_enable_wakeup_devices puts it in the
    /// enable_for_wake mask that acpi_enable_all_wakeup_gpes writes; but the rework queued for
    /// 7.0 (December 2025: "ACPI: button: Convert the driver to a platform one", "ACPI: scan: Do
    /// not mark button ACPI devices as wakeup-capable") leaves that to button.ko. A GPE whose _Lxx
    /// notifies (0x2) a device with the core's acpi_pm_notify_handler (a PCI root bridge, via
    /// pci_root.c's acpi_add_pm_notifier): in s2idle the GPE enable registers hold only the
    /// enable_for_wake mask, and no core path wake-enables such a device with no driver, so its
    /// GPE cannot raise the SCI at all. The RTC fixed event: rtc-cmos is built in, but it sets
    /// RTC_EN only while the guest has an alarm armed (cmos_suspend → rtc_wake_on).</para>
    /// </remarks>
    void InjectWake();
}
