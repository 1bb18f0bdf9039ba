namespace Vireo.Vmm;

/// <summary>
/// The VM life cycle's one table of valid transitions, in the manner of cloud-hypervisor's
/// <c>VmState::valid_transition</c>. A reboot with `--on-reboot restart` is no transition: the VM
/// stays Running and the API and event stream live on; the guest's own s2idle is its power state, not a VM state.
/// </summary>
public static class VmStateTransitions
{
    private static readonly HashSet<(VmState From, VmState To)> s_valid =
    [
        (VmState.Created, VmState.Running),
        (VmState.Created, VmState.Shutdown),
        (VmState.Running, VmState.Paused),
        (VmState.Running, VmState.Shutdown),
        (VmState.Paused, VmState.Running),
        (VmState.Paused, VmState.Shutdown),
    ];

    /// <summary>Whether the table allows <paramref name="from"/> → <paramref name="to"/>.</summary>
    public static bool IsValid(VmState from, VmState to) => s_valid.Contains((from, to));

    /// <summary>Throws <see cref="VmStateException"/> (HTTP 409) naming the action and the state
    /// when <paramref name="from"/> → <paramref name="to"/> is not in the table.</summary>
    public static void Check(VmState from, VmState to, string action)
    {
        if (!IsValid(from, to))
        {
            throw new VmStateException(from switch
            {
                VmState.Shutdown => $"cannot {action}: the VM has shut down",
                VmState.Paused when to == VmState.Paused => $"cannot {action}: the VM is already paused",
                VmState.Running when to == VmState.Running => $"cannot {action}: the VM is not paused",
                VmState.Created => $"cannot {action}: the VM has not started",
                _ => $"cannot {action}: the VM is {Name(from)}",
            });
        }
    }

    private static string Name(VmState state) => state.ToString().ToLowerInvariant();
}
