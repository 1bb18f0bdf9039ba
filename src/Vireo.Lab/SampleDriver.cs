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
    /// returns its path (<see cref="GuestDriver.Build"/>).</summary>
    public static string Build(string repositoryRoot, string release, LabCache cache, TextWriter? progress = null)
        => GuestDriver.Sample.Build(repositoryRoot, release, cache, progress);
}
