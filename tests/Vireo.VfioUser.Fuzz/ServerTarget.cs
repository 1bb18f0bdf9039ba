using Vireo.SampleDevice;
using Vireo.Sys;

namespace Vireo.VfioUser.Fuzz;

/// <summary>
/// The server side under attack: the input bytes go to a <see cref="VfioUserServer"/> serving
/// the sample accelerator, as a client would send them, then the client half-closes and reads
/// every answer. An input whose first header is a VERSION command is the whole session, so
/// negotiation itself is fuzzed; any other input follows a fixed VERSION that announces every
/// capability, so the fuzzer starts inside a negotiated session, Vireo's extensions included. The server must end
/// the session on its own, never throw, and still serve the next client correctly.
/// </summary>
public static class ServerTarget
{
    /// <summary>How long one input may keep the server busy; far above what any input needs
    /// (milliseconds), so only a real hang trips it even on a loaded machine.</summary>
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    private static readonly byte[] s_version = VersionMessage();

    public static void Run(ReadOnlySpan<byte> input)
    {
        bool negotiates = input.Length >= MessageHeader.Size && MessageHeader.Read(input).Command == VfioUserCommand.Version;
        byte[] bytes = negotiates ? input.ToArray() : [.. s_version, .. input];
        using var device = new AcceleratorDevice();
        var server = new VfioUserServer(device, new VfioUserServerOptions { DmaReplyTimeout = Deadline });
        (UnixSocket serverEnd, UnixSocket clientEnd) = UnixSocket.CreatePair();
        using (clientEnd)
        {
            var client = new Thread(() => SendAndDrain(clientEnd, bytes)) { IsBackground = true, Name = "fuzz client" };
            client.Start();
            using var deadline = new CancellationTokenSource(Deadline);
            server.Serve(serverEnd, deadline.Token);
            if (deadline.IsCancellationRequested)
            {
                throw new FuzzFailureException($"the server was still serving the input after {Deadline.TotalSeconds} s");
            }
            clientEnd.Shutdown();
            if (!client.Join(Deadline))
            {
                throw new FuzzFailureException("the client end did not see the connection end");
            }
        }
        CheckStillServes(server);
    }

    /// <summary>The session is over: the next client must get the device as a device, whatever
    /// the previous one sent (no stuck lock, no leaked session state).</summary>
    private static void CheckStillServes(VfioUserServer server)
    {
        (UnixSocket serverEnd, UnixSocket clientEnd) = UnixSocket.CreatePair();
        using var stop = new CancellationTokenSource();
        var serving = new Thread(() => server.Serve(serverEnd, stop.Token)) { IsBackground = true, Name = "fuzz server" };
        serving.Start();
        try
        {
            using VfioUserClient client = VfioUserClient.Open(clientEnd, new VfioUserClientOptions { ReplyTimeout = Deadline });
            DeviceInfo info = client.GetDeviceInfo();
            uint id = client.ReadRegionU32(0, AcceleratorDevice.RegId);
            if (id != AcceleratorDevice.Id || info.NumRegions == 0)
            {
                throw new FuzzFailureException($"the next client read id {id:x} with {info.NumRegions} regions");
            }
        }
        finally
        {
            stop.Cancel();
            if (!serving.Join(Deadline))
            {
                throw new FuzzFailureException("the server did not end the checking session");
            }
        }
    }

    private static void SendAndDrain(UnixSocket socket, byte[] bytes)
    {
        try
        {
            socket.Send(bytes);
            socket.ShutdownWrite();
            byte[] sink = new byte[64 * 1024];
            var fds = new List<SafeFd>();
            while (socket.Receive(sink, fds, UnixSocket.MaxFdsPerMessage, out _) > 0)
            {
                foreach (SafeFd fd in fds)
                {
                    fd.Dispose();
                }
                fds.Clear();
            }
        }
        catch (ErrnoException)
        {
            // The server hung up (EPIPE, ECONNRESET): an allowed way to answer bad input.
        }
    }

    /// <summary>Seeds for the negotiation: a downgrade to minor 1, capabilities that are not
    /// JSON, and limits at their edges, each followed by a GET_INFO.</summary>
    public static IEnumerable<(string Name, byte[] Bytes)> NegotiationSeeds()
    {
        byte[] getInfo = new byte[MessageHeader.Size + DeviceInfo.Length];
        new MessageHeader(1, VfioUserCommand.DeviceGetInfo, (uint)getInfo.Length, MessageFlags.Command, 0).Write(getInfo);
        DeviceInfo.Request.Encode(getInfo.AsSpan(MessageHeader.Size));
        yield return ("version-minor1.bin", [.. VersionMessage(1, "{\"capabilities\":{\"max_msg_fds\":1}}"), .. getInfo]);
        yield return ("version-not-json.bin", [.. VersionMessage(2, "{\"capabilities\":[1,"), .. getInfo]);
        yield return ("version-limits.bin", [.. VersionMessage(2, "{\"capabilities\":{\"max_msg_fds\":253,\"max_data_xfer_size\":4294967295,\"pgsizes\":4096,\"migration\":{\"pgsize\":4096},\"twin_socket\":{\"supported\":true}}}"), .. getInfo]);
        yield return ("version-no-caps.bin", [.. VersionMessage(2, null), .. getInfo]);
    }

    private static byte[] VersionMessage(ushort minor, string? capabilities)
    {
        var payload = new VersionPayload(VfioUserServer.ProtocolMajor, minor, capabilities);
        byte[] message = new byte[MessageHeader.Size + payload.EncodedLength];
        new MessageHeader(0, VfioUserCommand.Version, (uint)message.Length, MessageFlags.Command, 0).Write(message);
        payload.Encode(message.AsSpan(MessageHeader.Size));
        return message;
    }

    private static byte[] VersionMessage()
    {
        var caps = new VfioUserCapabilities
        {
            MaxMessageFds = 8,
            MaxDataTransferSize = VfioUserCapabilities.DefaultMaxDataTransferSize,
            MaxDmaMaps = VfioUserCapabilities.DefaultMaxDmaMaps,
            PageSizes = VfioUserCapabilities.DefaultPageSizes,
            MigrationPageSize = VfioUserCapabilities.DefaultPageSizes,
            WriteMultiple = true,
            VireoLowPower = true,
            VireoAcpiNotify = true,
        };
        return VersionMessage(VfioUserServer.ProtocolMinor, caps.ToJson());
    }
}
