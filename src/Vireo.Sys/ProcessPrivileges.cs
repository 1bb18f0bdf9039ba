namespace Vireo.Sys;

/// <summary>
/// Giving up privileges for good, once a process has what it needs: PR_SET_NO_NEW_PRIVS (no
/// execve can grant more, and an unprivileged seccomp filter becomes possible) and the
/// capabilities: the bounding set is cleared while CAP_SETPCAP is still held, then the ambient,
/// permitted, effective and inheritable sets are emptied. Nothing here can be undone.
/// </summary>
public static class ProcessPrivileges
{
    // <linux/prctl.h>
    private const int PrCapbsetRead = 23;
    private const int PrCapbsetDrop = 24;
    private const int PrSetNoNewPrivs = 38;
    private const int PrCapAmbient = 47;
    private const ulong PrCapAmbientClearAll = 4;

    /// <summary>CAP_IPC_LOCK (&lt;linux/capability.h&gt;): lock memory, e.g. VFIO's pinned DMA maps.</summary>
    public const int CapIpcLock = 14;

    // <linux/capability.h>: _LINUX_CAPABILITY_VERSION_3, whose data is two 32-bit words per set.
    private const uint CapabilityVersion3 = 0x20080522;

    /// <summary>Sets PR_SET_NO_NEW_PRIVS on the calling thread (threads created after inherit it;
    /// a TSYNC seccomp filter sets it on every thread).</summary>
    public static void SetNoNewPrivileges()
    {
        if (Interop.Sys.Prctl(PrSetNoNewPrivs, 1, 0, 0, 0) < 0)
        {
            throw ErrnoException.FromLastError("prctl(PR_SET_NO_NEW_PRIVS)");
        }
    }

    /// <summary>
    /// Switches the whole process, every thread, to <paramref name="user"/> for good: no
    /// supplementary groups, then real, effective and saved gid, then uid. Through glibc, whose
    /// setxid broadcast makes each thread change its own credentials (the kernel changes only the
    /// caller's); leaving uid 0 empties every thread's permitted, effective and ambient
    /// capabilities, so runtime threads started before the VMM confined itself (the GC's, the
    /// thread pool's) lose root's capabilities too. Needs CAP_SETUID and CAP_SETGID: call it
    /// before <see cref="DropAllCapabilities"/>, after <see cref="DropBoundingSet"/>. Checks the
    /// result on every thread and throws if any kept an id or a capability.
    /// </summary>
    public static void SwitchUser(UserIdentity user)
    {
        ArgumentNullException.ThrowIfNull(user);
        unsafe
        {
            if (Interop.Sys.SetGroups(0, null) < 0)
            {
                throw ErrnoException.FromLastError("setgroups(0) (switching user needs CAP_SETGID: start vireo as root to use --user)");
            }
        }
        if (Interop.Sys.SetResGid(user.Gid, user.Gid, user.Gid) < 0)
        {
            throw ErrnoException.FromLastError($"setresgid({user.Gid})");
        }
        if (Interop.Sys.SetResUid(user.Uid, user.Uid, user.Uid) < 0)
        {
            throw ErrnoException.FromLastError($"setresuid({user.Uid})");
        }
        foreach (ThreadCredentials thread in Threads())
        {
            if (thread.Uids.Any(id => id != user.Uid) || thread.Gids.Any(id => id != user.Gid) || thread.HoldsCapabilities)
            {
                throw new InvalidOperationException(
                    $"thread {thread.Id} ({thread.Name}) kept uids {string.Join(',', thread.Uids)}, gids {string.Join(',', thread.Gids)} " +
                    $"or capabilities after switching to {user.Uid}:{user.Gid}");
            }
        }
    }

    /// <summary>One thread of this process as /proc/self/task/TID/status shows it.</summary>
    /// <param name="Id">The thread id.</param>
    /// <param name="Name">Its name (comm).</param>
    /// <param name="Uids">Real, effective, saved and filesystem uid.</param>
    /// <param name="Gids">The same for the gid.</param>
    /// <param name="HoldsCapabilities">True when its permitted or effective set is not empty.</param>
    public sealed record ThreadCredentials(int Id, string Name, IReadOnlyList<uint> Uids, IReadOnlyList<uint> Gids, bool HoldsCapabilities);

    /// <summary>Every thread of this process with its ids and whether it holds a capability;
    /// a thread that ends while being read is left out.</summary>
    public static IReadOnlyList<ThreadCredentials> Threads()
    {
        var threads = new List<ThreadCredentials>();
        foreach (string task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            string[] lines;
            try
            {
                lines = File.ReadAllLines(Path.Combine(task, "status"));
            }
            catch (IOException)
            {
                continue;
            }
            string Field(string name) => lines.FirstOrDefault(l => l.StartsWith(name + ":", StringComparison.Ordinal))?[(name.Length + 1)..].Trim() ?? "";
            static uint[] Ids(string field) => [.. field.Split('\t', StringSplitOptions.RemoveEmptyEntries).Select(uint.Parse)];
            bool holds = Field("CapPrm").Trim('0').Length > 0 || Field("CapEff").Trim('0').Length > 0;
            threads.Add(new ThreadCredentials(int.Parse(Path.GetFileName(task), System.Globalization.CultureInfo.InvariantCulture),
                Field("Name"), Ids(Field("Uid")), Ids(Field("Gid")), holds));
        }
        return threads;
    }

    /// <summary>
    /// Clears the calling thread's capability bounding set but for <paramref name="keep"/>, while
    /// CAP_SETPCAP allows it (without it there is nothing the thread could use, since it holds
    /// nothing); the effective set is left as it is.
    /// </summary>
    public static void DropBoundingSet(params IEnumerable<int> keep)
    {
        var kept = new HashSet<int>(keep);
        for (int capability = 0; capability < 64; capability++)
        {
            int present = Interop.Sys.Prctl(PrCapbsetRead, (ulong)capability, 0, 0, 0);
            if (present < 0)
            {
                // EINVAL: past the last capability this kernel knows.
                break;
            }
            if (present == 1 && !kept.Contains(capability) && Interop.Sys.Prctl(PrCapbsetDrop, (ulong)capability, 0, 0, 0) < 0)
            {
                int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
                if (errno != Errno.EPERM)
                {
                    throw new ErrnoException(errno, $"prctl(PR_CAPBSET_DROP, {capability})");
                }
            }
        }
    }

    /// <summary>
    /// Drops every capability but <paramref name="keep"/> (numbers from &lt;linux/capability.h&gt;,
    /// e.g. 14 for CAP_IPC_LOCK) from every set of the calling thread: the bounding set (each
    /// capability the kernel knows, while CAP_SETPCAP allows it; without CAP_SETPCAP there is
    /// nothing it could drop that the process could use, since it holds nothing), the ambient set,
    /// then permitted, effective and inheritable with capset. Capabilities are per thread in Linux:
    /// call it before the threads that must not have them exist, or on each of them.
    /// </summary>
    public static void DropAllCapabilities(params IEnumerable<int> keep)
    {
        var kept = new HashSet<int>(keep);
        ulong keptMask = 0;
        foreach (int capability in kept)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(capability);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(capability, 63);
            keptMask |= 1UL << capability;
        }
        DropBoundingSet(kept);
        // EINVAL: a kernel without ambient capabilities (before 4.3) has none to clear.
        if (Interop.Sys.Prctl(PrCapAmbient, PrCapAmbientClearAll, 0, 0, 0) < 0
            && System.Runtime.InteropServices.Marshal.GetLastPInvokeError() != Errno.EINVAL)
        {
            throw ErrnoException.FromLastError("prctl(PR_CAP_AMBIENT_CLEAR_ALL)");
        }
        unsafe
        {
            var header = new Interop.Sys.CapUserHeader { Version = CapabilityVersion3, Pid = 0 };
            Interop.Sys.CapUserData* data = stackalloc Interop.Sys.CapUserData[2];
            // A capability to keep that this process does not hold (an unprivileged user) cannot
            // be kept: only what is permitted now.
            // SAFETY: header and the two data words live on this stack frame for the call.
            if (Interop.Sys.Capget(&header, data) < 0)
            {
                throw ErrnoException.FromLastError("capget");
            }
            keptMask &= data[0].Permitted | ((ulong)data[1].Permitted << 32);
            header = new Interop.Sys.CapUserHeader { Version = CapabilityVersion3, Pid = 0 };
            // Kept capabilities stay permitted and effective (not inheritable: nothing execs with them).
            data[0] = new Interop.Sys.CapUserData { Effective = (uint)keptMask, Permitted = (uint)keptMask };
            data[1] = new Interop.Sys.CapUserData { Effective = (uint)(keptMask >> 32), Permitted = (uint)(keptMask >> 32) };
            // SAFETY: header and the two data words live on this stack frame for the call.
            if (Interop.Sys.Capset(&header, data) < 0)
            {
                throw ErrnoException.FromLastError("capset");
            }
        }
    }
}
