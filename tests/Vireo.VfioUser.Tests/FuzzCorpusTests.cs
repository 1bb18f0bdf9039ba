using Vireo.Sys;
using Vireo.VfioUser.Fuzz;

namespace Vireo.VfioUser.Tests;

/// <summary>The fuzz harness's own entry points (tests/Vireo.VfioUser.Fuzz, run under afl-fuzz
/// by tools/fuzz/vfio-user.sh) over every committed corpus file, both sides; inputs afl found
/// crashing stay in the corpus as regressions.</summary>
public sealed class FuzzCorpusTests
{
    private const int Timeout = 60_000;

    public static TheoryData<string> ServerInputs => Names("server");

    public static TheoryData<string> ClientInputs => Names("client");

    [Theory(Timeout = Timeout)]
    [MemberData(nameof(ServerInputs))]
    public Task ServerSideReplays(string name) => Task.Run(() => ServerTarget.Run(Read("server", name)));

    [Theory(Timeout = Timeout)]
    [MemberData(nameof(ClientInputs))]
    public Task ClientSideReplays(string name) => Task.Run(() => ClientTarget.Run(Read("client", name)));

    [Fact]
    public void CorpusIsCopiedWithTheTests()
    {
        Assert.True(Files("server").Length >= 19, "the server corpus is missing from the test output");
        Assert.True(Files("client").Length >= 4, "the client corpus is missing from the test output");
    }

    [Fact(Timeout = Timeout)]
    public Task RecordedSessionReplaysInStep() => Task.Run(() =>
    {
        // What makes the client corpus useful to afl: a recorded server stream, replayed by the
        // fake server, walks the client through the same session as the real server did.
        // In step however loaded the machine is (CI runs the lab beside the unit tests): nothing
        // in the fake server waits on a clock.
        (byte[] recorded, int live) = ClientSeedRecorder.Record();
        Assert.True(live >= 25, $"only {live} steps succeeded against the real server");
        Assert.Equal(live, ClientTarget.Run(recorded));
        Assert.Equal(live, ClientTarget.Run(Read("client", "session.bin")));
    });

    [Fact(Timeout = Timeout)]
    public Task RandomMutationsNeverCrashOrHang() => Task.Run(() =>
    {
        // A deterministic stand-in for afl between fuzz runs: bytes of corpus files replaced.
        var random = new Random(1234);
        foreach ((string side, Action<byte[]> target) in new (string, Action<byte[]>)[] { ("server", i => ServerTarget.Run(i)), ("client", i => ClientTarget.Run(i)) })
        {
            byte[][] seeds = [.. Files(side).Select(name => Read(side, name))];
            for (int round = 0; round < 100; round++)
            {
                byte[] input = (byte[])seeds[random.Next(seeds.Length)].Clone();
                int mutations = random.Next(1, 6);
                for (int m = 0; m < mutations && input.Length > 0; m++)
                {
                    input[random.Next(input.Length)] = (byte)random.Next(256);
                }
                target(input);
            }
        }
    });

    [Fact(Timeout = Timeout)]
    public Task ShortFeatureDataFromTheServerIsAnError() => Task.Run(() =>
    {
        // afl's first find (corpus/client/crash-short-migration-flags.bin): a DEVICE_FEATURE GET
        // reply without its data made GetMigrationFlags read past the payload.
        (UnixSocket clientEnd, UnixSocket serverEnd) = UnixSocket.CreatePair();
        using (serverEnd)
        {
            var server = new Thread(() =>
            {
                AnswerNext(serverEnd, new VersionPayload(0, 2, "{}"));
                AnswerNext(serverEnd, DeviceFeature.Create(DeviceFeatureId.Migration, DeviceFeatureFlags.Get));
                AnswerNext(serverEnd, DeviceFeature.Create(DeviceFeatureId.MigDeviceState, DeviceFeatureFlags.Get, new byte[2]));
            }) { IsBackground = true };
            server.Start();
            using VfioUserClient client = VfioUserClient.Open(clientEnd, new VfioUserClientOptions { ReplyTimeout = TimeSpan.FromSeconds(10) });
            Assert.Equal(Errno.EIO, Assert.Throws<VfioUserException>(() => client.GetMigrationFlags()).Errno);
            Assert.Equal(Errno.EIO, Assert.Throws<VfioUserException>(() => client.GetMigrationState()).Errno);
            Assert.True(server.Join(TimeSpan.FromSeconds(10)));
        }
    });

    /// <summary>Reads one command and answers it with <paramref name="payload"/>; quietly
    /// does nothing once the client has gone (this runs on a thread of its own).</summary>
    private static void AnswerNext(UnixSocket socket, IVfioUserPayload payload)
    {
        byte[] head = new byte[MessageHeader.Size];
        if (!ReadExactly(socket, head))
        {
            return;
        }
        MessageHeader command = MessageHeader.Read(head);
        if (!ReadExactly(socket, new byte[command.PayloadSize]))
        {
            return;
        }
        byte[] reply = new byte[MessageHeader.Size + payload.EncodedLength];
        new MessageHeader(command.MessageId, command.Command, (uint)reply.Length, MessageFlags.Reply, 0).Write(reply);
        payload.Encode(reply.AsSpan(MessageHeader.Size));
        try
        {
            socket.Send(reply);
        }
        catch (ErrnoException)
        {
            // The client has gone.
        }
    }

    private static bool ReadExactly(UnixSocket socket, Span<byte> buffer)
    {
        var fds = new List<SafeFd>();
        try
        {
            while (!buffer.IsEmpty)
            {
                int n = Poller.WaitReadable(socket.Handle, TimeSpan.FromSeconds(10)) ? socket.Receive(buffer, fds, UnixSocket.MaxFdsPerMessage, out _) : 0;
                if (n == 0)
                {
                    return false;
                }
                buffer = buffer[n..];
            }
            return true;
        }
        catch (ErrnoException)
        {
            return false;
        }
        finally
        {
            fds.ForEach(fd => fd.Dispose());
        }
    }

    private static TheoryData<string> Names(string side) => new(Files(side));

    private static string[] Files(string side)
        => [.. Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "corpus", side)).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal)];

    private static byte[] Read(string side, string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "corpus", side, name));
}
