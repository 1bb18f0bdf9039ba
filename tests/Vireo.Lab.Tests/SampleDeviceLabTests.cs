using Vireo.Lab;
using Xunit.Abstractions;

namespace Vireo.Lab.Tests;

/// <summary>The sample vfio-user device server inside L1, started by the same script `vireo-lab
/// run --vfio-user` uses, and the guest driver in the default guest: the pieces the
/// end-to-end assignment scenarios build on.</summary>
[Collection(LabCollection.Name)]
public sealed class SampleDeviceLabTests(L1Fixture lab, ITestOutputHelper output)
{
    [LabFact("qemu-system-x86_64", "busybox", "cpio")]
    public async Task Vireo_device_serves_in_l1_and_answers_info_and_the_default_guest_carries_its_driver()
    {
        Assert.True(lab.DevicePublishFailure is null, lab.DevicePublishFailure);
        Assert.True(lab.SampleDriverFailure is null, lab.SampleDriverFailure);
        var device = new SampleDeviceInL1("sample0");
        // `vireo-device info` stands where vireo would: it runs once the server listens.
        string script = L1RunScript.Build([SampleDeviceInL1.Program, "info", device.SocketPath], null, [device], null, null);

        LabCommandResult result = await lab.Machine.RunAsync(script, TimeSpan.FromSeconds(300));
        output.WriteLine($"status {result.ExitStatus} in {result.Elapsed.TotalSeconds:0.0} s\n{result.Output}");

        Assert.True(result.ExitStatus == 0, result.Output);
        Assert.Contains($"{L1RunScript.DevicePrefix(device)}listening on {device.SocketPath}\n", result.Output, StringComparison.Ordinal);
        Assert.Contains($" at {device.SocketPath}\n", result.Output, StringComparison.Ordinal);
        Assert.Contains("  region 0 ", result.Output, StringComparison.Ordinal);
        // The script stopped the server once its client was done.
        LabCommandResult after = await lab.Machine.RunAsync($"[ ! -e {device.PidFile} ] && ! pidof vireo-device");
        Assert.True(after.ExitStatus == 0, after.Output);

        LabCommandResult listing = await lab.Machine.RunAsync($"gzip -dc {L1Fixture.L2Initramfs} | cpio -t 2>/dev/null");
        Assert.Contains(SampleDriver.GuestPath.TrimStart('/') + "\n", listing.Output, StringComparison.Ordinal);
        Assert.Contains(EduChecker.GuestPath.TrimStart('/') + "\n", listing.Output, StringComparison.Ordinal);
    }
}
