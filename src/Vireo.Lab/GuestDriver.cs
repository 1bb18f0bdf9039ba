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
    /// returns its path. The build's output goes to <paramref name="progress"/>.</summary>
    /// <exception cref="LabException">The checkout has no build script, or the build failed.</exception>
    public string Build(string repositoryRoot, string release, LabCache cache, TextWriter? progress = null)
    {
        ArgumentNullException.ThrowIfNull(cache);
        string script = Path.Combine(repositoryRoot, Lab.SampleDriver.BuildScript);
        if (!File.Exists(script))
        {
            throw new LabException($"{script} does not exist: the guest driver {ModuleFile} is built from a Vireo checkout");
        }
        string output = Path.Combine(cache.Directory("guest-driver"), release);
        progress?.WriteLine($"lab: building the guest driver {ModuleFile} for {release}");
        ProcessResult result = ProcessRunner.Run(script, [release, output, Directory], onStandardError: line => progress?.WriteLine(line));
        string path = result.StandardOutput.Trim();
        if (!result.Succeeded || !File.Exists(path) || Path.GetFileName(path) != ModuleFile)
        {
            throw new LabException($"{script} {release} {output} {Directory} failed (exit {result.ExitCode}); the guest driver {ModuleFile} could not be built:\n{result.Tail()}");
        }
        return path;
    }
}
