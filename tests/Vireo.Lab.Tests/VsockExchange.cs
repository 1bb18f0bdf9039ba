using System.Text.RegularExpressions;

namespace Vireo.Lab.Tests;

/// <summary>
/// The lab's vsock round trip, the same on the PC and on arm64 (Assets/vsock-tool.c on both
/// sides): the guest calls the host's port 5000, which lands on <c>SOCKET_5000</c> where L1
/// listens, then serves one connection on port 6000, which L1 opens through <c>SOCKET</c> with
/// Firecracker's CONNECT handshake.
/// </summary>
internal static class VsockExchange
{
    /// <summary>What the guest types.</summary>
    public const string GuestInput =
        "echo hello-host | vsock-tool connect 2 5000; echo connect-status=$?\n" +
        "vsock-tool listen 6000; echo listen-status=$?\n" +
        "poweroff -f\n";

    /// <summary>The L1 command: the host's two ends around <paramref name="guest"/> (the vireo
    /// line from <see cref="L2Command.Build"/> with <see cref="GuestInput"/>). The host's lines
    /// go to files printed at the end: written while the guest echoes its next command, they
    /// would share a line with it.</summary>
    public static string L1Command(string socket, string toolInL1, string guest) =>
        $"rm -f {socket} {socket}_* /tmp/h-received /tmp/h-reply; T={toolInL1}; " +
        $"{{ $T unix-listen {socket}_5000 | sed 's/^/host-received: /' > /tmp/h-received & }}; " +
        $"{{ i=0; while [ $i -lt 120 ]; do i=$((i+1)); sleep 1; [ -S {socket} ] || continue; " +
        $"echo host-ping | $T unix-connect {socket} 6000 > /tmp/h2g 2>/tmp/h2g.err && break; done; sed 's/^/host-reply: /' /tmp/h2g > /tmp/h-reply; }} & " +
        $"( {guest} ); s=$?; sleep 1; wait; cat /tmp/h-received /tmp/h-reply; exit $s";

    /// <summary>Both directions happened, byte for byte, and the guest powered off.</summary>
    public static void AssertExchanged(LabCommandResult result, string context)
    {
        string output = result.Output;
        // Guest to host: the guest's connection to CID 2 port 5000 reached SOCKET_5000, and the reply came back.
        Assert.True(Regex.IsMatch(output, @"(?m)^\s*host-received: hello-host\r?$"), context);
        Assert.Matches(@"(?m)^\s*host-got:hello-host\r?$", output);
        Assert.Matches(@"(?m)^\s*connect-status=0\r?$", output);
        // Host to guest: CONNECT 6000 on SOCKET got OK and a host port, the guest read the ping and answered.
        Assert.Matches(@"(?m)^\s*host-reply: OK \d+\r?$", output);
        Assert.Matches(@"(?m)^\s*host-reply: guest-got:host-ping\r?$", output);
        Assert.Matches(@"(?m)^\s*listen-status=0\r?$", output);
        LabAssert.PoweredOffConfined(output);
        Assert.Equal(0, result.ExitStatus);
    }
}
