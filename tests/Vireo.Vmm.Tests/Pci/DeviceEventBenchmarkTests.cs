using Vireo.SampleDevice;
using Vireo.TestSupport;
using Vireo.VfioUser;

namespace Vireo.Vmm.Tests;

/// <summary>`vireo bench device-events` with small counts: every event was really delivered
/// (the device's own counters agree) and the figures are sane.</summary>
public sealed class DeviceEventBenchmarkTests
{
    [KvmFact]
    public void Times_notify_codes_and_device_wakes_against_a_plain_exit()
    {
        using var device = new AcceleratorDevice();
        using var server = new InProcessVfioUserServer(device);
        using VfioPciFunction fn = VfioPciFunction.Open(VfioUserClient.Open(server.ClientEnd), "sample");
        using var kvm = Vireo.Kvm.KvmSystem.Open();

        DeviceEventBenchmarkResult result = DeviceEventBenchmark.Run(kvm, fn, code => device.NotifyAcpi([code]), device.RequestWake, count: 20, exits: 2000);

        Assert.Equal(20, result.Notify.Count);
        Assert.Equal(20, result.Wake.Count);
        // One warm-up and 20 samples of each reached the device.
        Assert.Equal(21, device.AcpiNotifications);
        foreach (double figure in new[] { result.ExitUs, result.Notify.Median, result.Wake.Median, result.NotifyRatio, result.WakeRatio })
        {
            Assert.True(double.IsFinite(figure) && figure > 0, $"figure {figure}");
        }
        Assert.True(result.Notify.Min <= result.Notify.Median && result.Notify.Median <= result.Notify.Max);
        Assert.Equal("active", fn.PowerState);
        Assert.True(fn.IsAlive);
    }

    [KvmFact]
    public void A_device_without_a_notify_channel_is_refused_by_name()
    {
        using var fn = VfioPciFunction.Open(new KernelLikeVfioDevice(), "edu");
        using var kvm = Vireo.Kvm.KvmSystem.Open();

        var e = Assert.Throws<InvalidOperationException>(() => DeviceEventBenchmark.Run(kvm, fn, _ => { }, () => true, 1));

        Assert.Contains("'edu' has no ACPI notify channel", e.Message, StringComparison.Ordinal);
    }
}
