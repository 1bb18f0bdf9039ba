using System.Text;
using Vireo.Lab;

namespace Vireo.Lab.Tests;

/// <summary>The guest drivers (the sample device's, the edu checker), built as CI builds them
/// (tools/guest-driver/build.sh against Debian's headers for the lab's guest kernel), and their
/// place in the default guest.</summary>
public sealed class SampleDriverTests
{
    [LabFact("make", "gcc", "cpio", "busybox")]
    public void The_drivers_build_for_the_lab_guest_kernel_and_ride_in_the_default_guest_without_being_loaded()
    {
        HostPackages.EnsureInstalled(["cpio", "busybox-static"]);
        var cache = LabCache.Default();
        StockKernel kernel = StockKernel.Acquire(cache);
        using var temp = new TempDirectory();

        string ko = SampleDriver.Build(L1Fixture.RepositoryRoot(), kernel.Release, cache);
        string edu = GuestDriver.Edu.Build(L1Fixture.RepositoryRoot(), kernel.Release, cache);

        // modinfo's fields, read from the .modinfo strings: built for that kernel, binding 1af4:10f1.
        string modinfo = Encoding.Latin1.GetString(File.ReadAllBytes(ko));
        Assert.Contains($"vermagic={kernel.Release} ", modinfo, StringComparison.Ordinal);
        Assert.Contains("alias=pci:v00001AF4d000010F1sv*sd*bc*sc*i*\0", modinfo, StringComparison.Ordinal);
        Assert.Contains("parm=irq_mode:", modinfo, StringComparison.Ordinal);
        Assert.Contains("license=GPL\0", modinfo, StringComparison.Ordinal);
        string eduInfo = Encoding.Latin1.GetString(File.ReadAllBytes(edu));
        Assert.Equal("vireo_edu.ko", Path.GetFileName(edu));
        Assert.Contains($"vermagic={kernel.Release} ", eduInfo, StringComparison.Ordinal);
        Assert.Contains("alias=pci:v00001234d000011E8sv*sd*bc*sc*i*\0", eduInfo, StringComparison.Ordinal);
        Assert.Contains("parm=irq_mode:", eduInfo, StringComparison.Ordinal);
        Assert.Contains("parm=irqs:", eduInfo, StringComparison.Ordinal);
        Assert.Contains("license=GPL\0", eduInfo, StringComparison.Ordinal);

        string image = temp.Combine("guest.cpio.gz");
        using (FileStream file = File.Create(image))
        {
            DefaultGuest.Write(file, "/bin/busybox", [], GuestVariant.Default, ko, edu);
        }
        string[] listed = Tool.Run("gzip", $"-dc '{image}' | cpio -t --quiet").Split('\n');
        foreach ((string guestPath, string built) in (ReadOnlySpan<(string, string)>)[(SampleDriver.GuestPath, ko), (EduChecker.GuestPath, edu)])
        {
            string inImage = guestPath.TrimStart('/');
            Assert.Contains(inImage, listed);
            // Byte for byte the module that was built (cmp exits non-zero otherwise).
            Tool.Run("gzip", $"-dc '{image}' | cpio -i --quiet --to-stdout '{inImage}' | cmp - '{built}'");
            // /init loads lib/modules/*.ko at boot; the drivers lie elsewhere, for a test to insmod.
            Assert.False(guestPath.StartsWith("/lib/modules/", StringComparison.Ordinal));
        }
        Assert.Contains("for m in /lib/modules/*.ko", DefaultGuest.InitScript, StringComparison.Ordinal);
        Assert.Equal(1, listed.Count(l => l == "lib/vireo"));
    }

    [Fact]
    public void A_checkout_without_the_build_script_is_a_clear_error()
    {
        using var temp = new TempDirectory();
        var cache = new LabCache(temp.Combine("cache"));

        LabException e = Assert.Throws<LabException>(() => SampleDriver.Build(temp.Path, "6.1.0-57-cloud-amd64", cache));

        Assert.Contains(SampleDriver.BuildScript, e.Message, StringComparison.Ordinal);
    }
}
