using System.Net;
using Vireo.Virtio;

namespace Vireo.Cli.Tests;

/// <summary>`vireo run --net tap[=NAME][,ip=ADDRESS/PREFIX][,mac=MAC][,id=NAME][,slot=N]`: parsing and its errors.</summary>
public sealed class NetRunOptionTests
{
    [Fact]
    public void Each_net_option_is_one_device_with_a_tap_an_id_by_position_and_optional_address_mac_and_slot()
    {
        RunOptions options = RunOptions.Parse(["--net", "tap", "--net", "tap=vireo7,ip=10.0.2.1/16,mac=52:54:00:aa:bb:cc,id=lan,slot=6"]);

        Assert.Equal(2, options.Nets.Count);
        Assert.Equal(new NetOption(null, null, null, "net0", null), options.Nets[0]);
        NetOption lan = options.Nets[1];
        Assert.Equal("vireo7", lan.Tap);
        Assert.Equal((IPAddress.Parse("10.0.2.1"), 16), lan.HostAddress);
        Assert.Equal(MacAddress.Parse("52:54:00:aa:bb:cc"), lan.Mac);
        Assert.Equal("lan", lan.Id);
        Assert.Equal(6, lan.Slot);
        Assert.Empty(RunOptions.Parse([]).Nets);
    }

    [Theory]
    [InlineData("--net takes tap[=NAME][,ip=ADDRESS/PREFIX][,mac=MAC][,id=NAME][,slot=N]; the backend is a tap (tap, or tap=NAME), not 'user'", "user")]
    [InlineData("--net tap name 'a/b' is not an interface name", "tap=a/b")]
    [InlineData("--net tap name 'averyveryverylongname' is not an interface name", "tap=averyveryverylongname")]
    [InlineData("--net ip '10.0.0.1' is not an IPv4 address with a prefix from 1 to 30", "tap,ip=10.0.0.1")]
    [InlineData("--net ip '10.0.0.1/31' is not an IPv4 address with a prefix from 1 to 30", "tap,ip=10.0.0.1/31")]
    [InlineData("--net ip '::1/64' is not an IPv4 address", "tap,ip=::1/64")]
    [InlineData("--net mac '01:00:5e:00:00:01' is not a unicast MAC address", "tap,mac=01:00:5e:00:00:01")]
    [InlineData("--net mac 'zz' is not a unicast MAC address", "tap,mac=zz")]
    [InlineData("--net tap=t0 is given twice; one tap backs one device", "tap=t0", "tap=t0,id=b")]
    [InlineData("--net id 'x' is given twice", "tap,id=x", "tap,id=x")]
    public async Task A_bad_net_value_is_a_usage_error_that_says_what_is_wrong(string expected, params string[] values)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        int status = await CommandLine.RunAsync(["run", .. values.SelectMany(v => new[] { "--net", v })], stdout, stderr);

        Assert.Equal(2, status);
        Assert.Empty(stdout.ToString());
        Assert.StartsWith($"vireo: run: {expected}", stderr.ToString());
    }

    [Fact]
    public async Task Net_ids_and_slots_share_the_one_device_namespace()
    {
        var stderr = new StringWriter();

        Assert.Equal(2, await CommandLine.RunAsync(["run", "--disk", "/a,id=net0", "--net", "tap"], new StringWriter(), stderr));
        Assert.Contains("device id 'net0' is given to a --disk and a --net device; give each its own id=NAME", stderr.ToString());
    }
}
