namespace Vireo.TestSupport;

/// <summary>What the test host can do, for skip decisions that name the missing piece.</summary>
public static class HostCapabilities
{
    public const string KvmDevice = "/dev/kvm";

    /// <summary>What a KVM test's skip adds: where it runs instead.</summary>
    public const string KvmTestsInTheLab = "; the nested lab runs it on L1's kvm-amd (KvmUnitTestsInL1Tests)";

    public static string? WhyNoKvm()
    {
        if (!File.Exists(KvmDevice))
        {
            return "this host has no /dev/kvm (load kvm_intel, kvm_amd or kvm_pvm)";
        }
        try
        {
            using FileStream stream = File.Open(KvmDevice, FileMode.Open, FileAccess.ReadWrite);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            return $"/dev/kvm cannot be opened read-write here: {e.Message}";
        }
        return null;
    }

    public const string TunDevice = "/dev/net/tun";

    // CAP_NET_ADMIN from linux/capability.h.
    private const int CapNetAdmin = 12;

    public static string? WhyNoTap()
    {
        if (!File.Exists(TunDevice))
        {
            return "this host has no /dev/net/tun (load the tun module)";
        }
        try
        {
            using FileStream stream = File.Open(TunDevice, FileMode.Open, FileAccess.ReadWrite);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            return $"/dev/net/tun cannot be opened read-write here: {e.Message}";
        }
        string? effective = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("CapEff:", StringComparison.Ordinal));
        if (effective is null || (Convert.ToUInt64(effective["CapEff:".Length..].Trim(), 16) & (1UL << CapNetAdmin)) == 0)
        {
            return "this process lacks CAP_NET_ADMIN, which creating a tap interface needs";
        }
        return null;
    }

    /// <summary>Why this host cannot set up an io_uring (too old a kernel, kernel.io_uring_disabled,
    /// a seccomp filter), or null when it can.</summary>
    public static string? WhyNoIoUring() => Vireo.Sys.IoUring.WhyUnavailable();

    public static bool HasGcc => FindOnPath("gcc") is not null;

    public static bool HasDtc => FindOnPath("dtc") is not null;

    public static string? FindOnPath(string program)
    {
        string path = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin";
        return path.Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program))
            .FirstOrDefault(File.Exists);
    }
}
