namespace Vireo.Sys;

/// <summary>What a seccomp filter does with a syscall it does not allow.</summary>
public enum SeccompAction
{
    /// <summary>The call fails with EPERM (SECCOMP_RET_ERRNO): an unforeseen path becomes a
    /// clear error in the VMM's log rather than a dead VMM.</summary>
    Errno,

    /// <summary>The whole process is killed by SIGSYS (SECCOMP_RET_KILL_PROCESS), as Firecracker does.</summary>
    KillProcess,

    /// <summary>The call is allowed and logged by the kernel's audit log (SECCOMP_RET_LOG): for
    /// finding what a new path needs.</summary>
    Log,
}
