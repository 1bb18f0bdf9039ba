namespace Vireo.Lab;

/// <summary>A Linux driver under guest/ (C, GPL-2.0) that the default guest carries for a test
/// to insmod, built for one Debian kernel release by tools/guest-driver/build.sh, which
/// installs that release's headers when missing.</summary>
public sealed class GuestDriver
{
    /// <summary>The sample vfio-user device's driver (guest/vireo-sample, vireo_sample.ko).</summary>
    public static readonly GuestDriver Sample = new("vireo-sample", Lab.SampleDriver.GuestPath);

    /// <summary>The checker for QEMU's edu device (guest/vireo-edu, vireo_edu.ko).</summary>
    public static readonly GuestDriver Edu = new("vireo-edu", EduChecker.GuestPath);

    private GuestDriver(string directory, string guestPath)
    {
        Directory = directory;
        GuestPath = guestPath;
    }

    /// <summary>The driver's directory under guest/, also build.sh's DRIVER argument.</summary>
    public string Directory { get; }

    /// <summary>Where the default guest's initramfs holds the module: outside /lib/modules,
    /// whose modules the guest loads at boot.</summary>
    public string GuestPath { get; }

    /// <summary>The module's file name: the directory with '-' as '_', plus .ko.</summary>
    public string ModuleFile => Directory.Replace('-', '_') + ".ko";

    /// <summary>Builds the module for <paramref name="release"/> from the checkout at
    /// <paramref name="repositoryRoot"/> into the cache (make rebuilds only what changed) and
    /// returns its path. The build's output goes to <paramref name="progress"/>. For an arm64
    /// guest (<paramref name="foreign"/>: the arm64 lab's packages) the module is cross-built
    /// (<see cref="PrepareForeignHeaders"/>).</summary>
    /// <exception cref="LabException">The checkout has no build script, or the build failed.</exception>
    public string Build(string repositoryRoot, string release, LabCache cache, TextWriter? progress = null, ForeignPackages? foreign = null)
    {
        ArgumentNullException.ThrowIfNull(cache);
        string script = Path.Combine(repositoryRoot, Lab.SampleDriver.BuildScript);
        if (!File.Exists(script))
        {
            throw new LabException($"{script} does not exist: the guest driver {ModuleFile} is built from a Vireo checkout");
        }
        Dictionary<string, string>? environment = foreign is null ? null : new()
        {
            ["VIREO_GUEST_HEADERS"] = PrepareForeignHeaders(foreign, release, cache, progress),
            ["VIREO_GUEST_ARCH"] = foreign.Architecture,
        };
        string output = Path.Combine(cache.Directory("guest-driver"), release);
        progress?.WriteLine($"lab: building the guest driver {ModuleFile} for {release}");
        ProcessResult result = ProcessRunner.Run(script, [release, output, Directory], environment: environment, onStandardError: line => progress?.WriteLine(line));
        string path = result.StandardOutput.Trim();
        if (!result.Succeeded || !File.Exists(path) || Path.GetFileName(path) != ModuleFile)
        {
            throw new LabException($"{script} {release} {output} {Directory} failed (exit {result.ExitCode}); the guest driver {ModuleFile} could not be built:\n{result.Tail()}");
        }
        return path;
    }

    /// <summary>Debian's headers of a kernel of another architecture, ready to build modules
    /// with on this host: the release's linux-headers package of that architecture, unpacked
    /// into the lab cache, over the host's own packages of the same kernel (the architecture-
    /// independent linux-headers-…-common, which its Makefile includes by absolute path, and
    /// linux-kbuild-…, whose host programs — fixdep, modpost, resolve_btfids — must be this
    /// host's), installed with apt-get. Returns the headers directory.</summary>
    /// <exception cref="LabException">A package is missing, or the headers are not as Debian lays them out.</exception>
    public static string PrepareForeignHeaders(ForeignPackages foreign, string release, LabCache cache, TextWriter? progress = null)
    {
        ArgumentNullException.ThrowIfNull(foreign);
        ArgumentNullException.ThrowIfNull(cache);
        if (foreign.Architecture != "arm64")
        {
            throw new LabException($"guest drivers are cross-built for arm64 only, not {foreign.Architecture}");
        }
        string root = foreign.Unpacked($"linux-headers-{release}", "kernel-headers", cache, progress);
        string headers = Path.Combine(root, "usr", "src", $"linux-headers-{release}");
        string makefile = Path.Combine(headers, "Makefile");
        // "include /usr/src/linux-headers-6.12.118+deb12-common/Makefile"
        string? common = File.Exists(makefile)
            ? File.ReadLines(makefile).Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("include /usr/src/", StringComparison.Ordinal))
            : null;
        // scripts -> ../../lib/linux-kbuild-6.12.118+deb12/scripts
        string? kbuild = new FileInfo(Path.Combine(headers, "scripts")).LinkTarget;
        if (common is null || kbuild is null || !kbuild.EndsWith("/scripts", StringComparison.Ordinal))
        {
            throw new LabException($"{headers} is not Debian's headers layout (a Makefile including the common headers, scripts linked to linux-kbuild)");
        }
        string commonPackage = Path.GetFileName(Path.GetDirectoryName(common["include ".Length..])!);
        string kbuildDirectory = Path.GetDirectoryName(kbuild)!;
        string kbuildPackage = Path.GetFileName(kbuildDirectory);
        HostPackages.EnsureInstalled([commonPackage, kbuildPackage, "make", "gcc-aarch64-linux-gnu"], progress);
        // The package's links are relative to /usr/src; the host's kbuild is under /usr/lib.
        foreach (string tree in (string[])["scripts", "tools"])
        {
            string link = Path.Combine(headers, tree);
            string target = Path.Combine("/usr/lib", kbuildPackage, tree);
            if (new FileInfo(link).LinkTarget != target)
            {
                File.Delete(link);
                File.CreateSymbolicLink(link, target);
            }
        }
        return headers;
    }
}
