namespace Vireo.VfioUser.Tests;

/// <summary>The in-process server `vireo bench pci` uses: a client negotiates and is served over
/// the socket pair, and disposing the server ends the connection as a dying server process would.</summary>
public sealed class InProcessServerTests
{
    [Fact(Timeout = 30_000)]
    public Task ServesAClientOverTheSocketPairUntilDisposed() => Task.Run(() =>
    {
        using var device = new TestDevice();
        var server = new InProcessVfioUserServer(device);
        using VfioUserClient client = VfioUserClient.Open(server.ClientEnd, new VfioUserClientOptions { ReplyTimeout = TimeSpan.FromSeconds(5) });
        byte[] ids = new byte[4];
        client.ReadRegion(VfioRegionIndex.Config, 0, ids);
        Assert.Equal([0xf4, 0x1a, 0xf0, 0x10], ids);

        server.Dispose();

        Assert.Throws<VfioUserDisconnectedException>(() => client.ReadRegion(VfioRegionIndex.Config, 0, ids));
    });
}
