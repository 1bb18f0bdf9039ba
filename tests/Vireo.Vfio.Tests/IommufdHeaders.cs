using Vireo.TestSupport;

namespace Vireo.Vfio.Tests;

/// <summary>Where gcc sees a linux/iommufd.h and a linux/vfio.h with the cdev requests (Linux 6.6+
/// uAPI headers): in its own headers (Debian bookworm's linux-libc-dev, 6.1, has neither), else in
/// the newer ones tools/kernel-headers.sh fetches (tools/test.sh fetches them before the tests
/// run). The iommufd layout tests compile against whichever has them.</summary>
internal static class IommufdHeaders
{
    private const string Probe = """
        #include <linux/vfio.h>
        #include <linux/iommufd.h>
        #ifndef VFIO_DEVICE_BIND_IOMMUFD
        #error no cdev requests
        #endif

        """;

    private static readonly Lazy<CTarget?> s_target = new(
        () => new[] { CTarget.Host, CTarget.HostNewerUapi }.FirstOrDefault(t => t.Compiles(Probe)));

    /// <summary>The target whose headers have them, or null where none does.</summary>
    public static CTarget? Target => s_target.Value;

    public static string WhyMissing =>
        $"neither gcc's own uAPI headers nor the newer ones at {CTarget.UapiInclude()} have linux/iommufd.h "
        + "with VFIO_DEVICE_BIND_IOMMUFD (Linux 6.6+; run tools/kernel-headers.sh, or set VIREO_UAPI_INCLUDE to a newer include dir)";
}
