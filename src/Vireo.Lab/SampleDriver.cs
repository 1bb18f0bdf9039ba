namespace Vireo.Lab;

/// <summary>The guest driver for the sample vfio-user device (guest/vireo-sample,
/// vireo_sample.ko), built for one Debian kernel release by tools/guest-driver/build.sh, which
/// installs that release's headers when missing. The default guest carries it at
/// <see cref="GuestPath"/>, outside /lib/modules, so it is not loaded at boot: a test insmods it
/// with the irq_mode it wants.</summary>
public static class SampleDriver
{
    /// <summary>Where the default guest's initramfs holds the module.</summary>
    public const string GuestPath = "/lib/vireo/vireo_sample.ko";

    /// <summary>The build script, relative to the repository root.</summary>
    public const string BuildScript = "tools/guest-driver/build.sh";

    /// <summary>Builds vireo_sample.ko for <paramref name="release"/> from the checkout at
    /// <paramref name="repositoryRoot"/> into the cache (make rebuilds only what changed) and
    /// returns its path. The build's output goes to <paramref name="progress"/>.</summary>
    public static string Build(string repositoryRoot, string release, LabCache cache, TextWriter? progress = null)
    {
        ArgumentNullException.ThrowIfNull(cache);
        string script = Path.Combine(repositoryRoot, BuildScript);
        if (!File.Exists(script))
        {
            throw new LabException($"{script} does not exist: the guest driver is built from a Vireo checkout");
        }
        string output = Path.Combine(cache.Directory("guest-driver"), release);
        progress?.WriteLine($"lab: building the guest driver vireo_sample.ko for {release}");
        ProcessResult result = ProcessRunner.Run(script, [release, output], onStandardError: line => progress?.WriteLine(line));
        string path = result.StandardOutput.Trim();
        if (!result.Succeeded || !File.Exists(path))
        {
            throw new LabException($"{script} {release} failed (exit {result.ExitCode}); the guest driver could not be built:\n{result.Tail()}");
        }
        return path;
    }
}
