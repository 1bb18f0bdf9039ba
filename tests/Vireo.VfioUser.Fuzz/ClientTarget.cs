using System.Buffers.Binary;
using Vireo.SampleDevice;
using Vireo.Sys;

namespace Vireo.VfioUser.Fuzz;

/// <summary>
/// The client side under attack: the input is what a malicious server sends, cut into
/// messages by each header's msg_size (a size that does not fit sends the rest at once). A
/// fake server answers every client message that expects a reply with the next piece, so
/// recorded sessions replay in step. A piece the client will not answer (a command with
/// No_reply set: a DMA_WRITE the client only carries out) leaves it still waiting, so the next
/// piece follows it at once; that is how unsolicited commands come. No step depends on timing:
/// the fake server knows from the pieces themselves when the client will speak next, and after
/// the last piece it half-closes. <see cref="Drive"/> must then end with only
/// <see cref="VfioUserException"/> or <see cref="VfioUserDisconnectedException"/>, and its
/// reader thread must never die of anything else (that would end the process).
/// </summary>
public static class ClientTarget
{
    public const ulong GuestBase = 0x1_0000_0000;
    public const int GuestSize = 0x10000;

    /// <summary>Runs one input; returns how many of <see cref="Drive"/>'s steps the fake server
    /// answered without a refusal (-1 when the VERSION exchange already failed).</summary>
    public static int Run(ReadOnlySpan<byte> input)
    {
        List<byte[]> pieces = Split(input);
        int answered = -1;
        (UnixSocket clientEnd, UnixSocket serverEnd) = UnixSocket.CreatePair();
        using (serverEnd)
        {
            var server = new Thread(() => FakeServer(serverEnd, pieces)) { IsBackground = true, Name = "fuzz server" };
            server.Start();
            try
            {
                using VfioUserClient client = VfioUserClient.Open(clientEnd, Options());
                answered = Drive(client);
            }
            catch (Exception e) when (e is VfioUserException or VfioUserDisconnectedException)
            {
                // Refusing a bad server is the expected outcome.
            }
            serverEnd.Shutdown();
            if (!server.Join(ServerTarget.Deadline))
            {
                throw new FuzzFailureException("the fake server did not see the client leave");
            }
        }
        return answered;
    }

    /// <summary>The client the target drives. No twin_socket: the input is one byte stream
    /// and carries no fds, so a server's twin-socket grant could not be replayed.</summary>
    public static VfioUserClientOptions Options() => new()
    {
        ReplyTimeout = ServerTarget.Deadline,
        DmaTarget = new GuestMemory(),
        RequestTwinSocket = false,
    };

    /// <summary>What a VMM does with a device, every step tried even when an earlier one was
    /// refused; a closed connection ends it. Returns the number of steps that succeeded.</summary>
    public static int Drive(VfioUserClient client)
    {
        int answered = 0;
        void Step(Action action)
        {
            try
            {
                action();
                answered++;
            }
            catch (VfioUserException)
            {
                // Refused or malformed: the next step still runs.
            }
        }

        Step(() => client.GetDeviceInfo());
        foreach (uint region in (uint[])[0, 2, 7])
        {
            Step(() =>
            {
                client.GetRegionInfo(region, out SafeFd? fd);
                fd?.Dispose();
            });
        }
        Step(() => client.GetIrqInfo((uint)VfioIrqIndex.Msix));
        Step(() => client.GetRegionIoFds(0));
        Step(() => client.ReadRegionU32(0, AcceleratorDevice.RegId));
        Step(() =>
        {
            Span<byte> config = stackalloc byte[64];
            client.ReadRegion(7, 0, config);
        });
        Step(() => client.WriteRegion(0, AcceleratorDevice.RegStatus, [1, 0, 0, 0], noReply: true));
        using EventFd vector = EventFd.Create();
        Step(() => client.SetIrqEventFds(VfioIrqIndex.Msix, 0, [vector]));
        using SafeFd ram = MemFd.Create("fuzz-guest", GuestSize);
        Step(() => client.DmaMap(GuestBase, GuestSize, DmaMapFlags.Read | DmaMapFlags.Write, ram));
        Step(() => client.DmaMap(GuestBase + GuestSize, GuestSize, DmaMapFlags.Read | DmaMapFlags.Write));
        Step(() =>
        {
            // A copy from the fd-mapped range into the message-reached one: the server's
            // DMA_WRITE (and, the other way, DMA_READ) comes while the client waits.
            Span<byte> address = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(address, GuestBase + GuestSize);
            client.WriteRegion(0, AcceleratorDevice.RegSource, address);
            BinaryPrimitives.WriteUInt64LittleEndian(address, GuestBase);
            client.WriteRegion(0, AcceleratorDevice.RegDestination, address);
            client.WriteRegionU32(0, AcceleratorDevice.RegLength, 64);
            client.WriteRegionU32(0, AcceleratorDevice.RegDoorbell, 1);
        });
        Step(() => client.ReadRegionU32(0, AcceleratorDevice.RegStatus));
        Step(() => client.DmaUnmap(GuestBase, GuestSize));
        Step(() => client.ProbeFeature(DeviceFeatureId.LowPowerEntry, DeviceFeatureFlags.Set));
        if (client.LowPowerAvailable)
        {
            using EventFd wake = EventFd.Create();
            Step(() => client.LowPowerEntryWithWakeup(wake));
            Step(() => client.LowPowerExit());
        }
        if (client.AcpiNotifyAvailable)
        {
            using EventFd notify = EventFd.Create();
            Step(() => client.SetIrqEventFds(VfioIrqIndex.AcpiNotify, 0, [notify]));
        }
        Step(() => client.GetMigrationFlags());
        Step(() => client.SetMigrationState(MigrationState.Stop));
        Step(() => client.SetMigrationState(MigrationState.StopCopy));
        Step(() => client.ReadMigrationData(4096));
        Step(() => client.GetMigrationState());
        Step(() => client.SetMigrationState(MigrationState.Stop));
        Step(() => client.SetMigrationState(MigrationState.Running));
        Step(() => client.DisableIrqs(VfioIrqIndex.Msix));
        Step(() => client.DmaUnmap(0, 0, DmaUnmapFlags.All));
        Step(client.Reset);
        Step(() =>
        {
            // What `vireo vfio-user info` asks and prints: hostile counts, names and JSON.
            VfioUserDeviceReport report = VfioUserInfo.Describe(client, "fuzz");
            _ = VfioUserInfo.ToText(report);
            _ = VfioUserInfo.ToJson(report);
        });
        return answered;
    }

    /// <summary>The input cut where each header's msg_size says; a header whose size does not
    /// fit takes the rest of the input with it.</summary>
    public static List<byte[]> Split(ReadOnlySpan<byte> input)
    {
        var pieces = new List<byte[]>();
        while (!input.IsEmpty)
        {
            int length = input.Length;
            if (input.Length >= MessageHeader.Size)
            {
                uint size = BinaryPrimitives.ReadUInt32LittleEndian(input[4..]);
                if (size >= MessageHeader.Size && size <= (uint)input.Length)
                {
                    length = (int)size;
                }
            }
            pieces.Add(input[..length].ToArray());
            input = input[length..];
        }
        return pieces;
    }

    private static void FakeServer(UnixSocket socket, List<byte[]> pieces)
    {
        try
        {
            int next = 0;
            while (true)
            {
                // The client speaks first (VERSION) and after every piece it answers; it leaves
                // (end of stream) when Drive is done or it gave up on this server. Waiting longer
                // than a reply timeout would be the client's hang, which afl reports.
                if (!Poller.WaitReadable(socket.Handle, ServerTarget.Deadline))
                {
                    return;
                }
                MessageHeader? header = ReceiveMessage(socket);
                if (header is null)
                {
                    return;
                }
                // A real server answers every command but a No_reply one, and goes on after the
                // client's reply to its own DMA command.
                if (header.Value.IsCommand && header.Value.NoReply)
                {
                    continue;
                }
                while (next < pieces.Count)
                {
                    byte[] piece = pieces[next++];
                    socket.Send(piece);
                    if (next == pieces.Count)
                    {
                        socket.ShutdownWrite();
                    }
                    if (!LeavesTheClientWaiting(piece))
                    {
                        break;
                    }
                }
            }
        }
        catch (ErrnoException)
        {
            // The client hung up mid-send.
        }
    }

    /// <summary>Whether the client, having read <paramref name="piece"/>, sends nothing and
    /// still waits for what it waited for: the piece is a command from the server (the client's
    /// reader serves anything not a reply) with No_reply set. A reply ends the client's wait (or,
    /// matching no request, the connection), and any other command gets the client's reply or
    /// error reply; a piece too short for a header is the last, and the half-close follows it.</summary>
    private static bool LeavesTheClientWaiting(byte[] piece)
    {
        if (piece.Length < MessageHeader.Size)
        {
            return false;
        }
        MessageHeader header = MessageHeader.Read(piece);
        return !header.IsReply && header.NoReply;
    }

    /// <summary>One whole client message (fds closed); null at end of stream.</summary>
    private static MessageHeader? ReceiveMessage(UnixSocket socket)
    {
        byte[] head = new byte[MessageHeader.Size];
        if (!ReadExactly(socket, head))
        {
            return null;
        }
        MessageHeader header = MessageHeader.Read(head);
        byte[] payload = new byte[Math.Max(0, (int)Math.Min(header.MessageSize, 16u << 20) - MessageHeader.Size)];
        return ReadExactly(socket, payload) ? header : null;
    }

    private static bool ReadExactly(UnixSocket socket, Span<byte> buffer)
    {
        var fds = new List<SafeFd>();
        while (!buffer.IsEmpty)
        {
            int n = socket.Receive(buffer, fds, UnixSocket.MaxFdsPerMessage, out _);
            foreach (SafeFd fd in fds)
            {
                fd.Dispose();
            }
            fds.Clear();
            if (n == 0)
            {
                return false;
            }
            buffer = buffer[n..];
        }
        return true;
    }

    /// <summary>Guest memory behind the DMA messages; out-of-range accesses are refused.</summary>
    private sealed class GuestMemory : IVfioUserDmaTarget
    {
        private readonly byte[] _bytes = new byte[2 * GuestSize];

        public void Read(ulong address, Span<byte> destination) => Slice(address, destination.Length).CopyTo(destination);

        public void Write(ulong address, ReadOnlySpan<byte> source) => source.CopyTo(Slice(address, source.Length));

        private Span<byte> Slice(ulong address, int length)
        {
            if (address < GuestBase || address - GuestBase > (ulong)_bytes.Length || (ulong)length > (ulong)_bytes.Length - (address - GuestBase))
            {
                throw new VfioUserException(Errno.EFAULT, $"DMA {address:x}+{length} is outside guest memory");
            }
            return _bytes.AsSpan((int)(address - GuestBase), length);
        }
    }
}
