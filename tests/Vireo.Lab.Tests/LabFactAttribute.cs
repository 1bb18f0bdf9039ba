using Vireo.Lab;
using Vireo.TestSupport;
using Xunit.Sdk;

namespace Vireo.Lab.Tests;

/// <summary>A fact that needs Debian tools (qemu, busybox-static, cpio). The lab installs
/// missing ones with apt-get, so it skips only where that is impossible: the tool is absent
/// and there is no apt-get, or no root and no sudo. CI runs as root with apt, so it runs.
/// Each runs as a <see cref="LabTestCase"/>: again when it failed while L1 wedged.</summary>
[XunitTestCaseDiscoverer("Vireo.Lab.Tests.LabTestCaseDiscoverer", "Vireo.Lab.Tests")]
public sealed class LabFactAttribute : FactAttribute
{
    public LabFactAttribute(params string[] programs)
    {
        Skip = SkipReason(programs);
    }

    /// <summary>Why a lab test needing <paramref name="programs"/> cannot run here, or null.</summary>
    internal static string? SkipReason(string[] programs)
    {
        string[] missing = programs.Where(p => HostCapabilities.FindOnPath(p) is null && !File.Exists($"/usr/bin/{p}")).ToArray();
        if (missing.Length == 0)
        {
            return null;
        }
        if (HostCapabilities.FindOnPath("apt-get") is null)
        {
            return $"{string.Join(", ", missing)} missing and this host has no apt-get to install them";
        }
        if (Environment.UserName != "root" && HostCapabilities.FindOnPath("sudo") is null)
        {
            return $"{string.Join(", ", missing)} missing; installing needs root or sudo " +
                $"(apt-get install -y {string.Join(' ', HostPackages.Lab)})";
        }
        return null;
    }
}
