namespace Vireo.Lab;

/// <summary>Debian packages of another architecture than the host's (the arm64 lab's kernel and
/// busybox on an x86-64 host), fetched with apt under a private state directory in the lab cache:
/// the host's apt sources, but its own package lists for that architecture, so the host's dpkg
/// configuration (foreign architectures) and lists are left as they are. Packages are only
/// downloaded and unpacked (dpkg -x), never installed.</summary>
public sealed class ForeignPackages
{
    private readonly string _state;
    private readonly Lock _gate = new();
    private bool _updated;

    /// <param name="cache">The lab cache; the apt state lives under apt-ARCH there.</param>
    /// <param name="debianArchitecture">Debian's name of the architecture, e.g. arm64.</param>
    public ForeignPackages(LabCache cache, string debianArchitecture)
    {
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentException.ThrowIfNullOrEmpty(debianArchitecture);
        Architecture = debianArchitecture;
        _state = cache.Directory("apt-" + debianArchitecture);
        System.IO.Directory.CreateDirectory(Path.Combine(_state, "lists", "partial"));
        System.IO.Directory.CreateDirectory(Path.Combine(_state, "cache", "archives", "partial"));
    }

    /// <summary>Debian's name of the architecture.</summary>
    public string Architecture { get; }

    /// <summary>The options that point apt-get and apt-cache at the private state and the architecture.</summary>
    public IReadOnlyList<string> AptOptions =>
    [
        "-o", $"Dir::State::Lists={Path.Combine(_state, "lists")}",
        "-o", $"Dir::Cache={Path.Combine(_state, "cache")}",
        "-o", $"APT::Architecture={Architecture}",
        "-o", $"APT::Architectures={Architecture}",
        // As root, apt's _apt sandbox user cannot write to the cache; say so instead of warning.
        .. ProcessRunner.IsRoot ? (string[])["-o", "APT::Sandbox::User=root"] : [],
    ];

    /// <summary>Fetches the package lists for the architecture once per process (and whenever
    /// none are there yet).</summary>
    /// <exception cref="LabException">apt-get update failed.</exception>
    public void EnsureUpdated(TextWriter? progress)
    {
        lock (_gate)
        {
            bool haveLists = System.IO.Directory.EnumerateFiles(Path.Combine(_state, "lists"), "*_Packages*").Any();
            if (_updated && haveLists)
            {
                return;
            }
            progress?.WriteLine($"lab: fetching Debian's {Architecture} package lists into {_state}...");
            ProcessResult update = HostPackages.Run("apt-get", ["-q", .. AptOptions, "update"]);
            if (!update.Succeeded)
            {
                if (haveLists)
                {
                    // Offline with lists from before: they still resolve what was cached.
                    progress?.WriteLine($"lab: apt-get update for {Architecture} failed; using the lists from before");
                }
                else
                {
                    throw new LabException(
                        $"apt-get update for {Architecture} failed (exit {update.ExitCode}):\n{update.Tail()}\n" +
                        "Check that Debian's archive is reachable");
                }
            }
            _updated = true;
        }
    }

    /// <summary>Downloads <paramref name="package"/> and unpacks it (dpkg -x) into
    /// LAB-CACHE/<paramref name="cacheDirectory"/>/PACKAGE_VERSION once; returns that directory.</summary>
    /// <exception cref="LabException">The package cannot be resolved, downloaded or unpacked.</exception>
    public string Unpacked(string package, string cacheDirectory, LabCache cache, TextWriter? progress)
    {
        ArgumentNullException.ThrowIfNull(cache);
        EnsureUpdated(progress);
        ProcessResult policy = HostPackages.Run("apt-cache", [.. AptOptions, "show", "--no-all-versions", package]);
        string? version = policy.Succeeded
            ? policy.StandardOutput.Split('\n').FirstOrDefault(l => l.StartsWith("Version: ", StringComparison.Ordinal))?["Version: ".Length..].Trim()
            : null;
        if (version is null)
        {
            throw new LabException($"Debian has no {Architecture} package {package} in the host's apt sources: {policy.Tail()}");
        }
        string parent = cache.Directory(cacheDirectory);
        string root = Path.Combine(parent, $"{package}_{version.Replace(':', '%')}");
        if (DebUnpacker.IsReady(root))
        {
            return root;
        }
        DebUnpacker.DownloadAndUnpack(parent, root,
            work =>
            {
                progress?.WriteLine($"lab: downloading {package} ({Architecture}) {version}...");
                return HostPackages.Run("apt-get", ["-q", .. AptOptions, "download", $"{package}:{Architecture}"], work);
            },
            download => $"apt-get download {package}:{Architecture} failed (exit {download.ExitCode}):\n{download.Tail()}");
        return root;
    }
}
