namespace Vireo.Lab;

/// <summary>Debian packages the lab needs on the host, installed with apt-get when missing.
/// Progress goes to the given writer (the CLI passes stderr, keeping stdout for results).</summary>
public static class HostPackages
{
    /// <summary>QEMU for TCG+SVM, a static busybox for L1's userland, cpio as the archive
    /// oracle, xz for kernels whose modules ship as .ko.xz.</summary>
    public static readonly IReadOnlyList<string> Lab = ["qemu-system-x86", "busybox-static", "cpio", "xz-utils"];

    // Another apt-get or dpkg (unattended-upgrades, a second test) may hold the lock for a while.
    private static readonly string[] s_waitForLock = ["-o", "DPkg::Lock::Timeout=300"];

    // One apt-get at a time from this process.
    private static readonly Lock s_aptLock = new();

    private static readonly Dictionary<string, string> s_aptEnvironment = new()
    {
        ["DEBIAN_FRONTEND"] = "noninteractive",
        ["LC_ALL"] = "C",
    };

    /// <summary>Whether dpkg reports <paramref name="package"/> as installed ("ii").</summary>
    public static bool IsInstalled(string package)
    {
        ProcessResult result = Run("dpkg-query", ["-W", "-f=${db:Status-Abbrev}", package]);
        return result.Succeeded && result.StandardOutput.StartsWith("ii", StringComparison.Ordinal);
    }

    /// <summary>The packages of <paramref name="packages"/> that are not installed, in the given order.</summary>
    public static IReadOnlyList<string> Missing(IEnumerable<string> packages) =>
        packages.Where(p => !IsInstalled(p)).ToList();

    /// <summary>Installs whichever of <paramref name="packages"/> are missing. Throws
    /// <see cref="LabException"/> naming the command to run by hand when that is not possible.</summary>
    public static void EnsureInstalled(IEnumerable<string> packages, TextWriter? progress = null)
    {
        lock (s_aptLock)
        {
            EnsureInstalledLocked(packages, progress);
        }
    }

    private static void EnsureInstalledLocked(IEnumerable<string> packages, TextWriter? progress)
    {
        IReadOnlyList<string> missing = Missing(packages);
        if (missing.Count == 0)
        {
            return;
        }
        string list = string.Join(' ', missing);
        string[] sudo = Elevation($"apt-get install -y {list}");
        progress?.WriteLine($"lab: installing {list} with apt-get (this can take a few minutes)...");

        string[] install = [.. sudo, "apt-get", "install", "-y", "--no-install-recommends", .. s_waitForLock,
            "-o", "Dpkg::Progress-Fancy=0", "-o", "Dpkg::Use-Pty=0", .. AptProgress.Options, .. missing];
        ProcessResult result = Apt(install, progress);
        if (!result.Succeeded)
        {
            // The usual cause on a fresh machine: empty or stale package lists.
            progress?.WriteLine("lab: apt-get install failed; running apt-get update and retrying...");
            ProcessResult update = Apt([.. sudo, "apt-get", "update", .. s_waitForLock], progress);
            if (!update.Succeeded)
            {
                throw new LabException(
                    $"apt-get update failed (exit {update.ExitCode}):\n{update.Tail()}\n" +
                    $"Fix the apt sources or network, then run: apt-get update && apt-get install -y {list}");
            }
            result = Apt(install, progress);
        }
        if (!result.Succeeded)
        {
            throw new LabException(
                $"apt-get install {list} failed (exit {result.ExitCode}):\n{result.Tail()}\n" +
                $"Install them by hand: apt-get update && apt-get install -y {list}");
        }
        IReadOnlyList<string> still = Missing(missing);
        if (still.Count > 0)
        {
            throw new LabException($"apt-get reported success but {string.Join(' ', still)} is still not installed");
        }
        progress?.WriteLine($"lab: installed {list}");
    }

    /// <summary>Brings the package lists up to date, for look-ups (apt-cache) on a fresh machine.</summary>
    internal static void Update(TextWriter? progress)
    {
        lock (s_aptLock)
        {
            UpdateLocked(progress);
        }
    }

    private static void UpdateLocked(TextWriter? progress)
    {
        string[] sudo = Elevation("apt-get update");
        progress?.WriteLine("lab: apt-get update...");
        ProcessResult update = Apt([.. sudo, "apt-get", "update", .. s_waitForLock], progress);
        if (!update.Succeeded)
        {
            throw new LabException($"apt-get update failed (exit {update.ExitCode}):\n{update.Tail()}");
        }
    }

    internal static ProcessResult Run(string program, IEnumerable<string> arguments, string? workingDirectory = null,
        Action<string>? onOutputLine = null)
    {
        if (ProcessRunner.FindOnPath(program) is null)
        {
            throw new LabException($"{program} not found: the lab needs a Debian-based host with apt and dpkg");
        }
        return ProcessRunner.Run(program, arguments, workingDirectory, onOutputLine, s_aptEnvironment);
    }

    private static ProcessResult Apt(string[] command, TextWriter? progress) =>
        Run(command[0], command.Skip(1), onOutputLine: new AptProgress(progress).OnLine);

    private static string[] Elevation(string fixCommand)
    {
        if (ProcessRunner.IsRoot)
        {
            return [];
        }
        if (ProcessRunner.FindOnPath("sudo") is not null)
        {
            // -n: fail at once instead of waiting for a password nobody will type.
            return ["sudo", "-n"];
        }
        throw new LabException($"apt-get needs root and sudo is not available; run as root: {fixCommand}");
    }
}
