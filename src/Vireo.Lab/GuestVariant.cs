namespace Vireo.Lab;

/// <summary>Which initramfs <see cref="DefaultGuest"/> builds around the stock kernel.</summary>
public enum GuestVariant
{
    /// <summary>The guest `tools/run-default-guest.sh` boots: loads evdev and the ACPI button
    /// driver and runs busybox acpid, so a power-button press powers it off.</summary>
    Default,

    /// <summary>The same busybox userland that loads no module at all and runs no acpid: what a
    /// user's own minimal initramfs gives, for tests that must not lean on optional drivers.</summary>
    NoModules,
}
