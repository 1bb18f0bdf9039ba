using Vireo.SampleDevice;
using Vireo.Sys;

namespace Vireo.VfioUser.Tests;

/// <summary>Region reads and writes take the client's allocation-free path (reusable waiters keyed
/// by message id): concurrent accesses must each get their own reply, and a reply that comes
/// after its request gave up must never be taken for a later one's.</summary>
public sealed class RegionAccessFastPathTests
{
    private const int Timeout = 30_000;

    [Fact(Timeout = Timeout)]
    public Task ConcurrentRegionAccessesEachGetTheirOwnReply() => Task.Run(() =>
    {
        using var device = new AcceleratorDevice();
        var server = new VfioUserServer(device);
        (UnixSocket serverEnd, UnixSocket clientEnd) = UnixSocket.CreatePair();
        using var stop = new CancellationTokenSource();
        var serving = new Thread(() => server.Serve(serverEnd, stop.Token)) { IsBackground = true };
        serving.Start();
        using (VfioUserClient client = VfioUserClient.Open(clientEnd))
        {
            (uint Region, ulong Offset, uint Value)[] registers =
            [
                (VfioRegionIndex.Config, 0, 0x10f1_1af4),
                (VfioRegionIndex.Config, 8, 0x1200_0001),
                (0, AcceleratorDevice.RegId, AcceleratorDevice.Id),
                (0, AcceleratorDevice.RegVersion, AcceleratorDevice.Version),
                (0, AcceleratorDevice.RegBufferSize, AcceleratorDevice.BufferSize),
            ];
            int wrong = 0;
            Thread[] threads = [.. Enumerable.Range(0, 8).Select(t => new Thread(() =>
            {
                for (int i = 0; i < 400; i++)
                {
                    (uint region, ulong offset, uint value) = registers[(t + i) % registers.Length];
                    if (client.ReadRegionU32(region, offset) != value)
                    {
                        Interlocked.Increment(ref wrong);
                    }
                }
            }))];
            foreach (Thread thread in threads)
            {
                thread.Start();
            }
            foreach (Thread thread in threads)
            {
                thread.Join();
            }
            Assert.Equal(0, wrong);
        }
        stop.Cancel();
        serving.Join(TimeSpan.FromSeconds(5));
    });

    [Fact(Timeout = Timeout)]
    public Task ALateReplyToATimedOutReadEndsTheConnectionInsteadOfAnsweringTheNextOne() => Task.Run(() =>
    {
        (UnixSocket serverEnd, UnixSocket clientEnd) = UnixSocket.CreatePair();
        using var channel = new MessageChannel(serverEnd, MessageChannel.PayloadLimit(VfioUserCapabilities.DefaultMaxDataTransferSize), 8);
        var held = new List<(MessageHeader Header, RegionAccess Access)>();
        using var heldOne = new ManualResetEventSlim();
        var serving = new Thread(() =>
        {
            try
            {
                while (channel.Receive() is ReceivedMessage message)
                {
                    using (message)
                    {
                        var reply = message.Header with { Flags = MessageFlags.Reply, MessageSize = 0 };
                        if (message.Header.Command == VfioUserCommand.Version)
                        {
                            channel.Send(reply, new VersionPayload(0, 2, null));
                            continue;
                        }
                        RegionAccess access = RegionAccess.Decode(message.Payload, withData: false);
                        if (held.Count == 0)
                        {
                            // The first read is answered only once the client has given up on it.
                            held.Add((reply, access));
                            heldOne.Set();
                            continue;
                        }
                        channel.Send(held[0].Header, held[0].Access with { Data = new byte[] { 0xde, 0xad, 0xbe, 0xef } });
                        channel.Send(reply, access with { Data = new byte[] { 1, 0, 0, 0 } });
                    }
                }
            }
            catch (VireoException)
            {
            }
        })
        { IsBackground = true };
        serving.Start();
        using VfioUserClient client = VfioUserClient.Open(clientEnd, new VfioUserClientOptions { ReplyTimeout = TimeSpan.FromMilliseconds(200) });

        Assert.Throws<TimeoutException>(() => client.ReadRegionU32(0, 0));
        Assert.True(heldOne.IsSet);
        // The next read must not be answered with the stale 0xefbeadde: the stream is out of step.
        Exception e = Record.Exception(() => client.ReadRegionU32(0, 4));
        Assert.True(e is VfioUserDisconnectedException or TimeoutException, $"got {e?.GetType().Name ?? "a value"}");
        Assert.Throws<VfioUserDisconnectedException>(() => client.ReadRegionU32(0, 8));
        channel.Shutdown();
        serving.Join(TimeSpan.FromSeconds(5));
    });
}
