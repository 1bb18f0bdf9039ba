namespace Vireo.Lab.Tests;

/// <summary>
/// The lab's network round trip over `--net tap`, the same on the PC and on arm64: the guest
/// brings eth0 up at 192.168.249.2, pings the tap's 192.168.249.1, fetches a file from L1's
/// httpd and sends one to L1's nc, each checked by SHA-256 on both sides.
/// </summary>
internal static class NetExchange
{
    /// <summary>The `--net` value: a tap at 192.168.249.1/24 and the guest's MAC.</summary>
    public static string NetOption(string mac, string id) => $"tap,ip=192.168.249.1/24,mac={mac},id={id}";

    /// <summary>What the guest types. The console log level goes to 1 first: the kernel's "eth0:
    /// link becomes ready", printed whenever the link comes up, otherwise lands in the middle of
    /// a line the test reads.</summary>
    public const string GuestInput =
        "dmesg -n 1\n" +
        "ip link set eth0 up && ip addr add 192.168.249.2/24 dev eth0 && echo eth0-up\n" +
        "echo mac=$(cat /sys/class/net/eth0/address)\n" +
        "ping -c 3 -W 5 192.168.249.1 >/tmp/ping.out; echo ping-status=$?; tail -2 /tmp/ping.out\n" +
        "wget -q -O /tmp/down http://192.168.249.1:8080/down; echo wget-status=$?\n" +
        "echo down-guest=$(sha256sum /tmp/down | cut -d' ' -f1)\n" +
        "head -c 400000 /dev/urandom > /tmp/up; echo up-guest=$(sha256sum /tmp/up | cut -d' ' -f1)\n" +
        "nc 192.168.249.1 5001 < /tmp/up; echo nc-status=$?\n" +
        "grep virtio /proc/interrupts\n" +
        "poweroff -f\n";

    /// <summary>The L1 command: a web server with a file for the guest to fetch and a listener that
    /// keeps what the guest sends (its stdin must stay open, or busybox nc quits at once) around
    /// <paramref name="guest"/> (the vireo line from <see cref="L2Command.Build"/> with <see cref="GuestInput"/>).</summary>
    public static string L1Command(string guest) =>
        "rm -rf /tmp/www /tmp/up; mkdir -p /tmp/www && head -c 600000 /dev/urandom > /tmp/www/down && " +
        "echo down-host=$(sha256sum /tmp/www/down | cut -d' ' -f1) && httpd -p 8080 -h /tmp/www && " +
        "{ sleep 600 | nc -l -p 5001 > /tmp/up & } && " +
        $"( {guest} ); s=$?; sleep 1; echo up-host=$(sha256sum /tmp/up | cut -d' ' -f1); pkill httpd; pkill -f 'sleep 600'; exit $s";

    /// <summary>The link came up with <paramref name="mac"/>, the pings came back, and both files
    /// crossed byte for byte; the guest powered off.</summary>
    public static void AssertExchanged(LabCommandResult result, string mac, string context)
    {
        string output = result.Output;
        Assert.True(output.Contains("eth0-up", StringComparison.Ordinal), context);
        Assert.Matches($@"(?m)^\s*mac={mac}\r?$", output);
        Assert.Matches(@"(?m)^\s*ping-status=0\r?$", output);
        Assert.Contains("3 packets transmitted, 3 packets received", output, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^\s*wget-status=0\r?$", output);
        // Host to guest (the tap's frames into receive buffers) and guest to host (transmit), byte for byte.
        Assert.Equal(LabOutput.Sha(output, "down-host"), LabOutput.Sha(output, "down-guest"));
        Assert.Equal(LabOutput.Sha(output, "up-guest"), LabOutput.Sha(output, "up-host"));
        Assert.Matches(@"(?m)^\s*nc-status=0\r?$", output);
        LabAssert.PoweredOffConfined(output);
        Assert.Equal(0, result.ExitStatus);
    }
}
