using System.Text.Json;
using Vireo.Sys;
using Vireo.SampleDevice;
using Vireo.VfioUser;

namespace Vireo.Cli.Tests;

public sealed class VfioUserInfoTests
{
    [Fact]
    public async Task InfoJsonDescribesTheSampleDeviceServedOverASocket()
    {
        string dir = Directory.CreateTempSubdirectory("vireo-cli-vfu-").FullName;
        string socket = Path.Combine(dir, "dev.sock");
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var listening = new ManualResetEventSlim();
        var server = new VfioUserServer(new AcceleratorDevice());
        Task serving = Task.Run(() => server.Run(socket, stop.Token, listening.Set));
        try
        {
            Assert.True(listening.Wait(TimeSpan.FromSeconds(10)), "the device server did not start");
            var stdout = new StringWriter();
            var stderr = new StringWriter();

            int status = await CommandLine.RunAsync(["vfio-user", "info", socket, "--json"], stdout, stderr);

            Assert.True(status == 0, stderr.ToString());
            using JsonDocument doc = JsonDocument.Parse(stdout.ToString());
            Assert.True(doc.RootElement.EnumerateObject().Any(), stdout.ToString());
            Assert.Contains("region", stdout.ToString(), StringComparison.OrdinalIgnoreCase);
        }
        finally
        {
            stop.Cancel();
            await serving.WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { }, TaskScheduler.Default);
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task InfoOnAMissingSocketNamesTheFix()
    {
        var stderr = new StringWriter();

        int status = await CommandLine.RunAsync(["vfio-user", "info", "/nonexistent/dev.sock"], new StringWriter(), stderr);

        Assert.Equal(1, status);
        Assert.Contains("start the device server", stderr.ToString());
    }

    public static TheoryData<string> BadServers => ["silent", "closes", "garbage", "huge"];

    /// <summary>Issue 17: a server that never answers, hangs up, sends garbage or announces a
    /// huge message gets one line on stderr and exit status 1, never a stack trace.</summary>
    [Theory]
    [MemberData(nameof(BadServers))]
    public async Task InfoAgainstABadServerIsOneLineAndExitOne(string behaviour)
    {
        string dir = Directory.CreateTempSubdirectory("vireo-cli-vfu-").FullName;
        string socket = Path.Combine(dir, "bad.sock");
        using UnixSocket listener = UnixSocket.Listen(socket);
        var fake = new Thread(() =>
        {
            using UnixSocket connection = listener.Accept();
            byte[] request = new byte[4096];
            _ = connection.Receive(request, null, 0, out _);
            switch (behaviour)
            {
                case "garbage":
                    // A reply header to VERSION #0 whose payload is no version at all.
                    byte[] junk = [.. new byte[16], 0, 0, 2, 0, .. "{not json"u8, 0];
                    new MessageHeader(0, Vireo.VfioUser.VfioUserCommand.Version, (uint)junk.Length, MessageFlags.Reply, 0).Write(junk);
                    connection.Send(junk);
                    break;
                case "huge":
                    byte[] header = new byte[16];
                    new MessageHeader(0, Vireo.VfioUser.VfioUserCommand.Version, uint.MaxValue, MessageFlags.Reply, 0).Write(header);
                    connection.Send(header);
                    break;
                case "closes":
                    return;
            }
            // Hold the connection open until the client gives up.
            _ = Poller.WaitReadable(connection.Handle, TimeSpan.FromSeconds(20));
        })
        { IsBackground = true };
        fake.Start();
        try
        {
            var stderr = new StringWriter();

            int status = await CommandLine.RunAsync(["vfio-user", "info", socket, "--timeout", "1"], new StringWriter(), stderr);

            Assert.Equal(1, status);
            string error = stderr.ToString().TrimEnd();
            Assert.DoesNotContain('\n', error);
            Assert.StartsWith("vireo: ", error, StringComparison.Ordinal);
            Assert.DoesNotContain(" at Vireo.", error, StringComparison.Ordinal);
        }
        finally
        {
            Assert.True(fake.Join(TimeSpan.FromSeconds(30)));
            Directory.Delete(dir, recursive: true);
        }
    }
}
