namespace Vireo.Vmm;

/// <summary>`vireo run --seccomp`: whether and how the VMM is confined.</summary>
public enum ConfinementMode
{
    /// <summary>A forbidden syscall fails with EPERM (the default).</summary>
    Errno,

    /// <summary>A forbidden syscall kills the process with SIGSYS (Firecracker's default).</summary>
    Kill,

    /// <summary>A forbidden syscall is allowed and logged by the kernel (audit).</summary>
    Log,

    /// <summary>No seccomp filter; privileges are still dropped.</summary>
    Off,
}
