using System.Buffers.Binary;
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
        Session(server, bytes, answers: null, "the input");
        CheckStillServes(server);
    }

    /// <summary>The session is over: the next client must get the device as a device, whatever
    /// the previous one sent (no stuck lock, no leaked session state). It negotiates, asks for
    /// the device's info and reads its ID register, as <c>VfioUserClient</c> would, in one
    /// stream of bytes, and the answers must say a device with regions and the right ID.</summary>
    private static void CheckStillServes(VfioUserServer server)
    {
        var answers = new MemoryStream();
        Session(server, s_check, answers, "the checking session");
        uint? regions = null;
        uint? id = null;
        ReadOnlySpan<byte> stream = answers.GetBuffer().AsSpan(0, (int)answers.Length);
        while (stream.Length >= MessageHeader.Size)
        {
            MessageHeader header = MessageHeader.Read(stream);
            if (header.MessageSize < MessageHeader.Size || header.MessageSize > stream.Length)
            {
                throw new FuzzFailureException($"the next client got a cut or malformed message ({header})");
            }
            ReadOnlySpan<byte> payload = stream[MessageHeader.Size..(int)header.MessageSize];
            stream = stream[(int)header.MessageSize..];
            if (!header.IsReply || header.IsError)
            {
                throw new FuzzFailureException($"the next client got {header} instead of an answer");
            }
            if (header.MessageId == CheckInfoId && header.Command == VfioUserCommand.DeviceGetInfo)
            {
                regions = DeviceInfo.Decode(payload).NumRegions;
            }
            else if (header.MessageId == CheckReadId && header.Command == VfioUserCommand.RegionRead)
            {
                RegionAccess read = RegionAccess.Decode(payload, withData: true);
                id = read.Data.Length == 4 ? BinaryPrimitives.ReadUInt32LittleEndian(read.Data.Span) : null;
            }
        }
        if (regions is null or 0 || id != AcceleratorDevice.Id)
        {
            throw new FuzzFailureException($"the next client read id {id:x} with {regions} regions");
        }
    }

    /// <summary>One client session on this thread, the server's: <see cref="s_peer"/> sends
    /// <paramref name="bytes"/> as the client, half-closes and reads every answer (into
    /// <paramref name="answers"/> when given) until the server ends the session.</summary>
    private static void Session(VfioUserServer server, byte[] bytes, MemoryStream? answers, string what)
    {
        // One peer: callers that run inputs at once (test replays) take turns.
        lock (s_peer)
        {
            SessionLocked(server, bytes, answers, what);
        }
    }

    private static void SessionLocked(VfioUserServer server, byte[] bytes, MemoryStream? answers, string what)
    {
        (UnixSocket serverEnd, UnixSocket clientEnd) = UnixSocket.CreatePair();
        using (clientEnd)
        {
            s_peer.Begin(clientEnd, bytes, answers);
            using var deadline = new CancellationTokenSource(Deadline);
            server.Serve(serverEnd, deadline.Token);
            if (deadline.IsCancellationRequested)
            {
                throw new FuzzFailureException($"the server was still serving {what} after {Deadline.TotalSeconds} s");
            }
            clientEnd.Shutdown();
            if (!s_peer.End(Deadline))
            {
                throw new FuzzFailureException($"the client end of {what} did not see the connection end");
            }
        }
    }

    private const ushort CheckInfoId = 1;
    private const ushort CheckReadId = 2;
    private static readonly byte[] s_check = CheckMessages();
    private static readonly Peer s_peer = new();

    private static byte[] CheckMessages()
    {
        return
        [
            .. s_version,
            .. Command(CheckInfoId, VfioUserCommand.DeviceGetInfo, DeviceInfo.Request),
            .. Command(CheckReadId, VfioUserCommand.RegionRead, new RegionAccess(AcceleratorDevice.RegId, 0, 4, ReadOnlyMemory<byte>.Empty)),
        ];
    }

    /// <summary>The client's side of every session, on one thread for the whole run: starting a
    /// thread per session cost more than serving the input (2 ms a thread on a busy 2-core host
    /// against 0.1 ms on an idle one, which held afl at 300 inputs a second).</summary>
    private sealed class Peer
    {
        private readonly SemaphoreSlim _begun = new(0);
        private readonly SemaphoreSlim _ended = new(0);
        private UnixSocket? _socket;
        private byte[] _bytes = [];
        private MemoryStream? _answers;

        public Peer() => new Thread(Loop) { IsBackground = true, Name = "fuzz client" }.Start();

        public void Begin(UnixSocket socket, byte[] bytes, MemoryStream? answers)
        {
            _socket = socket;
            _bytes = bytes;
            _answers = answers;
            _begun.Release();
        }

        public bool End(TimeSpan timeout) => _ended.Wait(timeout);

        private void Loop()
        {
            byte[] sink = new byte[64 * 1024];
            var fds = new List<SafeFd>();
            while (true)
            {
                _begun.Wait();
                try
                {
                    SendAndDrain(_socket!, _bytes, _answers, sink, fds);
                }
                finally
                {
                    _ended.Release();
                }
            }
        }
    }

    private static void SendAndDrain(UnixSocket socket, byte[] bytes, MemoryStream? answers, byte[] sink, List<SafeFd> fds)
    {
        try
        {
            socket.Send(bytes);
            socket.ShutdownWrite();
            int n;
            while ((n = socket.Receive(sink, fds, UnixSocket.MaxFdsPerMessage, out _)) > 0)
            {
                answers?.Write(sink, 0, n);
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
        finally
        {
            foreach (SafeFd fd in fds)
            {
                fd.Dispose();
            }
            fds.Clear();
        }
    }

    /// <summary>Seeds for the negotiation: a downgrade to minor 1, capabilities that are not
    /// JSON, and limits at their edges, each followed by a GET_INFO.</summary>
    public static IEnumerable<(string Name, byte[] Bytes)> NegotiationSeeds()
    {
        byte[] getInfo = Command(1, VfioUserCommand.DeviceGetInfo, DeviceInfo.Request);
        yield return ("version-minor1.bin", [.. VersionMessage(1, "{\"capabilities\":{\"max_msg_fds\":1}}"), .. getInfo]);
        yield return ("version-not-json.bin", [.. VersionMessage(2, "{\"capabilities\":[1,"), .. getInfo]);
        yield return ("version-limits.bin", [.. VersionMessage(2, "{\"capabilities\":{\"max_msg_fds\":253,\"max_data_xfer_size\":4294967295,\"pgsizes\":4096,\"migration\":{\"pgsize\":4096},\"twin_socket\":{\"supported\":true}}}"), .. getInfo]);
        yield return ("version-no-caps.bin", [.. VersionMessage(2, null), .. getInfo]);
    }

    private static byte[] VersionMessage(ushort minor, string? capabilities)
    {
        return Command(0, VfioUserCommand.Version, new VersionPayload(VfioUserServer.ProtocolMajor, minor, capabilities));
    }

    /// <summary>One client command: the header, then <paramref name="payload"/>.</summary>
    private static byte[] Command(ushort id, VfioUserCommand command, IVfioUserPayload payload)
    {
        byte[] message = new byte[MessageHeader.Size + payload.EncodedLength];
        new MessageHeader(id, command, (uint)message.Length, MessageFlags.Command, 0).Write(message);
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
