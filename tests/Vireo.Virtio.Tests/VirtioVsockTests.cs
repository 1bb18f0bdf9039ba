using System.Text;
using Vireo.Sys;

namespace Vireo.Virtio.Tests;

/// <summary>The socket device driven through the transport by a fake guest driver, bridged to real
/// UNIX sockets in a temporary directory, with the test playing the machine's worker
/// (<see cref="VsockRig.Pump"/>) and the host programs.</summary>
public sealed class VirtioVsockTests
{
    private const ushort NeedsReset = 0x40;

    private static readonly VirtioVsockOptions s_small = new() { BufferSize = 16 * 1024 };

    private static byte[] Pattern(int length, int seed) => [.. Enumerable.Range(0, length).Select(i => (byte)((i * 31) + (i >> 11) + seed))];

    // A host program connects and the guest accepts: the program reads "OK <port>".
    private static (UnixSocket Host, GuestStream Stream) AcceptHostProgram(VsockRig rig, uint guestPort, uint guestBuffer = 64 * 1024)
    {
        UnixSocket host = rig.Own(rig.ConnectHost($"CONNECT {guestPort}\n"));
        VsockPacket request = rig.Expect(p => p.Header.Op == VirtioVsock.OpRequest && p.Header.DestinationPort == guestPort, "OP_REQUEST");
        GuestStream stream = rig.Stream(guestPort, request.Header.SourcePort, guestBuffer);
        stream.Learn(request.Header);
        rig.Send(stream.Packet(VirtioVsock.OpResponse));
        string ok = $"OK {stream.HostPort}\n";
        Assert.Equal(ok, Encoding.ASCII.GetString(rig.ReadHost(host, ok.Length)));
        return (host, stream);
    }

    // The guest connects to a host service listening at SocketPath_port.
    private static (UnixSocket Service, GuestStream Stream) ConnectGuest(VsockRig rig, uint guestPort, uint port, uint guestBuffer = 64 * 1024)
    {
        UnixSocket listener = rig.ListenHost(port);
        rig.Send(VsockRig.Header(VirtioVsock.OpRequest, guestPort, port, bufferAlloc: guestBuffer));
        VsockPacket response = rig.Expect(p => p.Header.DestinationPort == guestPort, "OP_RESPONSE");
        Assert.Equal(VirtioVsock.OpResponse, response.Header.Op);
        Assert.Equal(port, response.Header.SourcePort);
        UnixSocket service = rig.Own(listener.Accept());
        listener.Dispose();
        GuestStream stream = rig.Stream(guestPort, port, guestBuffer);
        stream.Learn(response.Header);
        return (service, stream);
    }

    [Fact]
    public void The_device_is_a_socket_device_with_three_queues_no_features_and_the_guest_cid_read_only()
    {
        using var rig = new VsockRig();

        Assert.Equal((uint)VirtioPciFunction.DeviceIdBase + 19, rig.Driver.ConfigU32(0) >> 16);
        Assert.Equal(3, rig.Function.QueueCount);
        Assert.Equal(0UL, rig.Driver.DeviceFeatures() & 0xffffff);
        byte[] cid = new byte[8];
        rig.Function.ReadBar(0, VirtioPciFunction.DeviceConfigOffset, cid);
        Assert.Equal(VsockRig.Cid, BitConverter.ToUInt64(cid));
        rig.Function.WriteBar(0, VirtioPciFunction.DeviceConfigOffset, BitConverter.GetBytes(77UL));
        rig.Function.ReadBar(0, VirtioPciFunction.DeviceConfigOffset, cid);
        Assert.Equal(VsockRig.Cid, BitConverter.ToUInt64(cid));
        Assert.True(File.Exists(rig.SocketPath));
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(1UL)]
    [InlineData(2UL)]
    [InlineData(0xffffffffUL)]
    [InlineData(0x100000000UL)]
    public void Reserved_cids_are_refused(ulong cid)
    {
        string path = Path.Combine(Path.GetTempPath(), $"vireo-vsock-{Guid.NewGuid():n}");
        Assert.Throws<ArgumentOutOfRangeException>(() => new VirtioVsock(cid, path));
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void An_existing_socket_path_is_refused_and_dispose_removes_the_socket_file()
    {
        using var rig = new VsockRig();
        Assert.Equal(Errno.EADDRINUSE, Assert.Throws<ErrnoException>(() => new VirtioVsock(5, rig.SocketPath)).Errno);
        string other = Path.Combine(rig.Directory, "other.sock");

        new VirtioVsock(5, other).Dispose();

        Assert.False(File.Exists(other));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_host_program_connects_and_bytes_flow_both_ways_byte_exact_across_many_credit_windows(bool splitRx)
    {
        using var rig = new VsockRig(s_small, splitRx: splitRx);
        (UnixSocket host, GuestStream stream) = AcceptHostProgram(rig, 5000, guestBuffer: 16 * 1024);
        Assert.InRange(stream.HostPort, VirtioVsock.FirstHostPort, uint.MaxValue - 1);
        // 40 guest windows one way, 40 device windows the other.
        byte[] toGuest = Pattern(640 * 1024, 1);
        byte[] toHost = Pattern(640 * 1024, 2);
        int hostSent = 0;
        int guestSent = 0;
        var hostGot = new List<byte>();
        byte[] buffer = new byte[64 * 1024];

        rig.PumpUntil(() => stream.Data.Count == toGuest.Length && hostGot.Count == toHost.Length, "both streams", TimeSpan.FromSeconds(60), () =>
        {
            if (hostSent < toGuest.Length && host.TrySend(toGuest.AsSpan(hostSent)) is int n)
            {
                hostSent += n;
            }
            while (host.TryReceive(buffer) is int r && r > 0)
            {
                hostGot.AddRange(buffer.AsSpan(0, r).ToArray());
            }
            guestSent += stream.Write(toHost.AsSpan(guestSent));
        });

        Assert.Equal(toGuest, stream.Data);
        Assert.Equal(toHost, hostGot);
        Assert.InRange(stream.MaxInFlight, 1, 16 * 1024);
        Assert.Equal(toGuest.Length, rig.Counter("rx_bytes"));
        Assert.Equal(toHost.Length, rig.Counter("tx_bytes"));
        Assert.Equal(1, rig.Counter("connections_opened"));
        Assert.Equal(0, rig.Counter("errors"));
        Assert.Equal(0, rig.Counter("connections_reset"));
        Assert.DoesNotContain(rig.Received, p => p.Header.Op is VirtioVsock.OpReset or VirtioVsock.OpShutdown);
    }

    [Fact]
    public void Host_ports_are_unique_among_live_connections()
    {
        using var rig = new VsockRig();
        using UnixSocket a = rig.ConnectHost("CONNECT 22\n");
        using UnixSocket b = rig.ConnectHost("CONNECT 22\n");

        rig.PumpUntil(() => rig.Received.Count(p => p.Header.Op == VirtioVsock.OpRequest) == 2, "two requests");

        uint[] ports = [.. rig.Received.Select(p => p.Header.SourcePort)];
        Assert.Equal(2, ports.Distinct().Count());
        Assert.All(ports, p => Assert.True(p >= VirtioVsock.FirstHostPort));
        Assert.All(rig.Received, p => Assert.Equal(22u, p.Header.DestinationPort));
        Assert.All(rig.Received, p => Assert.Equal(256u * 1024, p.Header.BufferAlloc));
    }

    [Fact]
    public void Bytes_written_after_the_connect_line_reach_the_guest_first()
    {
        using var rig = new VsockRig();
        using UnixSocket host = rig.ConnectHost("CONNECT 9\nhello");
        VsockPacket request = rig.Expect(p => p.Header.Op == VirtioVsock.OpRequest, "OP_REQUEST");
        GuestStream stream = rig.Stream(9, request.Header.SourcePort);

        rig.Send(stream.Packet(VirtioVsock.OpResponse));
        rig.PumpUntil(() => stream.Data.Count == 5, "hello");

        Assert.Equal("hello"u8.ToArray(), stream.Data);
        string ok = $"OK {request.Header.SourcePort}\n";
        Assert.Equal(ok, Encoding.ASCII.GetString(rig.ReadHost(host, ok.Length)));
    }

    [Fact]
    public void A_guest_that_refuses_the_request_closes_the_host_program()
    {
        using var rig = new VsockRig();
        using UnixSocket host = rig.ConnectHost("CONNECT 8080\n");
        VsockPacket request = rig.Expect(p => p.Header.Op == VirtioVsock.OpRequest, "OP_REQUEST");

        rig.Send(VsockRig.Header(VirtioVsock.OpReset, 8080, request.Header.SourcePort));

        rig.ExpectHostClosed(host);
        Assert.Equal(0, rig.Device.ConnectionCount);
        Assert.Equal(1, rig.Counter("connect_failures"));
        Assert.Equal(0, rig.Counter("connections_opened"));
    }

    [Theory]
    [InlineData("CONNECT\n")]
    [InlineData("CONNECT \n")]
    [InlineData("CONNECT abc\n")]
    [InlineData("CONNECT 4294967296\n")]
    [InlineData("CONNECT 99999999999\n")]
    [InlineData("connect 5\n")]
    [InlineData("CONNECT  5\n")]
    [InlineData("CONNECT 5 \n")]
    [InlineData("CONNECT -5\n")]
    [InlineData("HELLO\n")]
    [InlineData("\n")]
    public void A_malformed_connect_line_closes_that_host_program_alone(string line)
    {
        using var rig = new VsockRig();
        using UnixSocket good = rig.ConnectHost("CONNECT 1\n");
        rig.Expect(p => p.Header.Op == VirtioVsock.OpRequest, "the good program's request");
        using UnixSocket bad = rig.ConnectHost(line);

        rig.ExpectHostClosed(bad);

        Assert.Equal(1, rig.Counter("host_handshake_failures"));
        Assert.Equal(1, rig.Device.ConnectionCount);
        Assert.Empty(rig.Received);
    }

    [Fact]
    public void An_over_long_line_or_end_of_stream_before_the_newline_closes_the_program()
    {
        using var rig = new VsockRig();
        using UnixSocket longLine = rig.ConnectHost("CONNECT 1" + new string('0', VirtioVsock.MaxConnectLine));
        using UnixSocket cut = rig.ConnectHost("CONNECT 12");
        cut.ShutdownWrite();

        rig.ExpectHostClosed(longLine);
        rig.ExpectHostClosed(cut);

        Assert.Equal(2, rig.Counter("host_handshake_failures"));
        Assert.Equal(0, rig.Device.ConnectionCount);
        Assert.Empty(rig.Received);
    }

    [Fact]
    public void A_connect_line_may_arrive_in_pieces()
    {
        using var rig = new VsockRig();
        using UnixSocket host = rig.ConnectHost("CONN");
        rig.Pump();
        Poller.WaitReadable(rig.Device.PollHandle, TimeSpan.FromMilliseconds(20));
        rig.Pump();
        host.Send("ECT 4"u8);
        rig.Pump();
        host.Send("2\n"u8);

        Assert.Equal(42u, rig.Expect(p => p.Header.Op == VirtioVsock.OpRequest, "OP_REQUEST").Header.DestinationPort);
    }

    [Fact]
    public void The_largest_port_is_a_valid_connect_line()
    {
        using var rig = new VsockRig();
        using UnixSocket host = rig.ConnectHost("CONNECT 4294967295\n");

        Assert.Equal(uint.MaxValue, rig.Expect(p => p.Header.Op == VirtioVsock.OpRequest, "OP_REQUEST").Header.DestinationPort);
    }

    [Fact]
    public void A_silent_host_program_is_closed_after_the_timeout_and_others_are_unaffected()
    {
        using var rig = new VsockRig(new VirtioVsockOptions { ConnectTimeout = TimeSpan.FromMilliseconds(300) });
        using UnixSocket silent = UnixSocket.Connect(rig.SocketPath);
        (UnixSocket good, GuestStream stream) = AcceptHostProgram(rig, 80);

        rig.ExpectHostClosed(silent);
        good.Send("ping"u8);
        rig.PumpUntil(() => stream.Data.Count == 4, "ping after the timeout");

        Assert.Equal("ping"u8.ToArray(), stream.Data);
        Assert.Equal(1, rig.Counter("host_handshake_failures"));
        Assert.Equal(1, rig.Device.ConnectionCount);
    }

    [Fact]
    public void A_guest_that_never_answers_the_request_gets_rst_after_the_timeout_and_the_program_is_closed()
    {
        using var rig = new VsockRig(new VirtioVsockOptions { ConnectTimeout = TimeSpan.FromMilliseconds(200) });
        using UnixSocket host = rig.ConnectHost("CONNECT 3000\n");
        VsockPacket request = rig.Expect(p => p.Header.Op == VirtioVsock.OpRequest, "OP_REQUEST");

        rig.ExpectHostClosed(host);
        VsockPacket reset = rig.Expect(p => p.Header.Op == VirtioVsock.OpReset, "OP_RST");

        Assert.Equal(request.Header.SourcePort, reset.Header.SourcePort);
        Assert.Equal(3000u, reset.Header.DestinationPort);
        Assert.Equal(0, rig.Device.ConnectionCount);

        // A late answer finds no connection: RST again, and nothing breaks.
        rig.Send(VsockRig.Header(VirtioVsock.OpResponse, 3000, request.Header.SourcePort));
        rig.Expect(p => p.Header.Op == VirtioVsock.OpReset, "RST for the late response");
    }

    [Fact]
    public void The_guest_connects_to_path_port_and_bytes_flow_both_ways()
    {
        using var rig = new VsockRig(s_small);
        (UnixSocket service, GuestStream stream) = ConnectGuest(rig, 1234, 7000);
        byte[] request = Pattern(100_000, 3);
        byte[] answer = Pattern(70_000, 4);
        int sent = 0;

        rig.PumpUntil(() => sent == request.Length, "the request", step: () => sent += stream.Write(request.AsSpan(sent)));
        // The service reads it all, as the guest keeps writing within the device's credit.
        Assert.Equal(request, rig.ReadHost(service, request.Length));
        service.Send(answer);
        rig.PumpUntil(() => stream.Data.Count == answer.Length, "the answer");

        Assert.Equal(answer, stream.Data);
        Assert.Equal(1, rig.Counter("connections_opened"));
        Assert.Equal(1, rig.Device.ConnectionCount);
    }

    [Fact]
    public void A_guest_connect_to_a_missing_or_dead_socket_gets_rst()
    {
        using var rig = new VsockRig();
        UnixSocket.Listen($"{rig.SocketPath}_7002").Dispose(); // a socket file nobody listens on

        rig.Send(VsockRig.Header(VirtioVsock.OpRequest, 40, 7001));
        VsockPacket missing = rig.Expect(p => p.Header.DestinationPort == 40, "RST for the missing socket");
        rig.Send(VsockRig.Header(VirtioVsock.OpRequest, 41, 7002));
        VsockPacket refused = rig.Expect(p => p.Header.DestinationPort == 41, "RST for the refused socket");

        Assert.Equal(VirtioVsock.OpReset, missing.Header.Op);
        Assert.Equal(7001u, missing.Header.SourcePort);
        Assert.Equal(VirtioVsock.OpReset, refused.Header.Op);
        Assert.Equal(2, rig.Counter("connect_failures"));
        Assert.Equal(0, rig.Device.ConnectionCount);
    }

    [Fact]
    public void The_guests_send_shutdown_half_closes_the_host_socket_which_still_answers_then_a_full_close_ends_with_rst()
    {
        using var rig = new VsockRig();
        (UnixSocket service, GuestStream stream) = ConnectGuest(rig, 50, 60);
        stream.Write("question"u8);
        rig.Send(stream.Packet(VirtioVsock.OpShutdown, flags: VirtioVsock.ShutdownSend));

        // The service reads the data, then end of stream, and can still answer.
        Assert.Equal("question"u8.ToArray(), rig.ReadHost(service, 8));
        Assert.Empty(rig.ReadHost(service, 1));
        service.Send("answer"u8);
        rig.PumpUntil(() => stream.Data.Count == 6, "the answer");
        Assert.Equal("answer"u8.ToArray(), stream.Data);

        // The service closes: the guest hears that the host neither sends nor receives, and its RST ends the stream.
        service.Dispose();
        VsockPacket shutdown = rig.Expect(p => p.Header.Op == VirtioVsock.OpShutdown, "SHUTDOWN");
        Assert.Equal(VirtioVsock.ShutdownReceive | VirtioVsock.ShutdownSend, shutdown.Header.Flags);
        rig.Send(stream.Packet(VirtioVsock.OpReset));
        rig.PumpUntil(() => rig.Device.ConnectionCount == 0, "the connection to go");

        Assert.Equal(1, rig.Counter("connections_closed"));
        Assert.Equal(0, rig.Counter("connections_reset"));
    }

    [Fact]
    public void The_hosts_half_close_reaches_the_guest_as_send_shutdown_and_the_guest_still_sends_then_closes_cleanly()
    {
        using var rig = new VsockRig();
        (UnixSocket host, GuestStream stream) = AcceptHostProgram(rig, 70);
        host.Send("last words"u8);
        host.ShutdownWrite();

        rig.PumpUntil(() => stream.Control.Any(p => p.Header.Op == VirtioVsock.OpShutdown), "SHUTDOWN");
        Assert.Equal("last words"u8.ToArray(), stream.Data);
        Assert.Equal(VirtioVsock.ShutdownSend, stream.Control.Single().Header.Flags);
        stream.Write("reply"u8);
        Assert.Equal("reply"u8.ToArray(), rig.ReadHost(host, 5));

        rig.Send(stream.Packet(VirtioVsock.OpShutdown, flags: VirtioVsock.ShutdownReceive | VirtioVsock.ShutdownSend));
        rig.ExpectHostClosed(host);
        VsockPacket reset = rig.Expect(p => p.Header.Op == VirtioVsock.OpReset, "RST completing the close");

        Assert.Equal(70u, reset.Header.DestinationPort);
        Assert.Equal(0, rig.Device.ConnectionCount);
        Assert.Equal(1, rig.Counter("connections_closed"));
    }

    [Fact]
    public void A_host_socket_that_does_not_read_holds_at_most_buf_alloc_and_the_guest_resumes_when_it_reads()
    {
        using var rig = new VsockRig(s_small);
        (UnixSocket service, GuestStream stream) = ConnectGuest(rig, 90, 91);
        byte[] data = Pattern(2 << 20, 5);

        // The service reads nothing: the socket fills, then the device's buffer, then the credit is gone.
        int sent = FillUntilStalled(rig, stream, data);
        long forwarded = rig.Counter("tx_bytes");
        Assert.True(sent < data.Length);
        for (int i = 0; i < 3; i++)
        {
            rig.Pump();
            sent += stream.Write(data.AsSpan(sent));
        }
        Assert.Equal(forwarded, rig.Counter("tx_bytes"));
        Assert.Equal(0u, stream.Credit);

        var got = new List<byte>();
        byte[] buffer = new byte[64 * 1024];
        rig.PumpUntil(() => got.Count == data.Length, "everything at the service", TimeSpan.FromSeconds(60), () =>
        {
            while (service.TryReceive(buffer) is int n && n > 0)
            {
                got.AddRange(buffer.AsSpan(0, n).ToArray());
            }
            sent += stream.Write(data.AsSpan(sent));
        });
        Assert.Equal(data, got);
        Assert.Equal(0, rig.Counter("errors"));
    }

    // Fills the service's socket and then the device's buffer: the guest's credit is 0 and the
    // device holds exactly buf_alloc bytes the service has not taken.
    private static int FillUntilStalled(VsockRig rig, GuestStream stream, byte[] data)
    {
        int sent = 0;
        rig.PumpUntil(() => stream.Credit == 0 && rig.Counter("tx_bytes") == stream.Sent - s_small.BufferSize, "the device's buffer to fill",
            step: () => sent += stream.Write(data.AsSpan(sent)));
        return sent;
    }

    [Fact]
    public void A_guest_that_closes_while_the_host_is_slow_has_all_its_data_delivered_before_the_close()
    {
        using var rig = new VsockRig(s_small);
        (UnixSocket service, GuestStream stream) = ConnectGuest(rig, 120, 121);
        byte[] data = Pattern(1 << 20, 7);
        int sent = FillUntilStalled(rig, stream, data);

        rig.Send(stream.Packet(VirtioVsock.OpShutdown, flags: VirtioVsock.ShutdownReceive | VirtioVsock.ShutdownSend));
        rig.Pump();
        Assert.Equal(1, rig.Device.ConnectionCount);
        byte[] got = rig.ReadHost(service, sent + 1, TimeSpan.FromSeconds(30));

        Assert.Equal(data.AsSpan(0, sent).ToArray(), got);
        rig.PumpUntil(() => rig.Device.ConnectionCount == 0, "the close");
        Assert.Equal(VirtioVsock.OpReset, Assert.Single(stream.Control).Header.Op);
        Assert.Equal(1, rig.Counter("connections_closed"));
    }

    [Fact]
    public void A_guest_close_that_the_host_never_drains_is_reset_after_the_close_timeout()
    {
        using var rig = new VsockRig(s_small with { CloseTimeout = TimeSpan.FromMilliseconds(200) });
        (UnixSocket service, GuestStream stream) = ConnectGuest(rig, 130, 131);
        FillUntilStalled(rig, stream, Pattern(1 << 20, 8));

        rig.Send(stream.Packet(VirtioVsock.OpShutdown, flags: VirtioVsock.ShutdownReceive | VirtioVsock.ShutdownSend));
        rig.PumpUntil(() => rig.Device.ConnectionCount == 0, "the close timeout");

        Assert.Equal(VirtioVsock.OpReset, Assert.Single(stream.Control).Header.Op);
        Assert.Equal(1, rig.Counter("connections_reset"));
        Assert.Equal(0, rig.Counter("connections_closed"));
        rig.ExpectHostClosed(service, TimeSpan.FromSeconds(30));
    }

    [Fact]
    public void The_device_sends_no_more_than_the_guests_credit_until_a_credit_update_and_answers_credit_requests()
    {
        using var rig = new VsockRig();
        (UnixSocket host, GuestStream stream) = AcceptHostProgram(rig, 100, guestBuffer: 8192);
        stream.AutoCredit = false;
        byte[] data = Pattern(20_000, 6);
        host.Send(data);

        rig.PumpUntil(() => stream.Data.Count == 8192, "one window");
        for (int i = 0; i < 3; i++)
        {
            Poller.WaitReadable(rig.Device.PollHandle, TimeSpan.FromMilliseconds(20));
            rig.Pump();
        }
        Assert.Equal(8192, stream.Data.Count);

        // The guest's application has read nothing yet: its fwd_cnt is still 0.
        rig.Send(VsockRig.Header(VirtioVsock.OpCreditRequest, 100, stream.HostPort, bufferAlloc: 8192, forwardCount: 0));
        rig.PumpUntil(() => stream.CreditUpdates == 1, "the credit update answering the request");
        Assert.Equal(8192, stream.Data.Count);
        Assert.Equal(256u * 1024, stream.PeerBufferAlloc);
        Assert.Equal(0u, stream.PeerForwardCount);

        stream.SendCreditUpdate();
        rig.PumpUntil(() => stream.Data.Count == 16384, "the second window");
        stream.SendCreditUpdate();
        rig.PumpUntil(() => stream.Data.Count == data.Length, "the rest");
        Assert.Equal(data, stream.Data);
    }

    [Fact]
    public void A_guest_that_sends_past_its_credit_is_reset()
    {
        using var rig = new VsockRig(s_small);
        (UnixSocket service, GuestStream stream) = ConnectGuest(rig, 110, 111);

        rig.Send(stream.Packet(VirtioVsock.OpReadWrite, (uint)s_small.BufferSize + 1), new byte[s_small.BufferSize + 1]);

        rig.ExpectHostClosed(service);
        rig.Expect(p => p.Header.Op == VirtioVsock.OpReset && p.Header.DestinationPort == 110, "RST");
        Assert.Equal(1, rig.Counter("errors"));
        Assert.Equal(1, rig.Counter("connections_reset"));
        Assert.Equal(0, rig.Counter("tx_bytes"));
    }

    public static TheoryData<string, byte[], bool> HostilePackets()
    {
        static byte[] Bytes(VirtioVsockHeader header, int payload = 0)
        {
            byte[] bytes = new byte[VirtioVsockHeader.Size + payload];
            System.Runtime.InteropServices.MemoryMarshal.Write(bytes, in header);
            return bytes;
        }
        VirtioVsockHeader rw = VsockRig.Header(VirtioVsock.OpReadWrite, 1, 2, 10);
        return new()
        {
            { "header cut short", new byte[20], false },
            { "len beyond the chain", Bytes(rw with { Length = 1000 }, 10), true },
            { "unknown op", Bytes(rw with { Op = 99, Length = 0 }), true },
            { "op invalid", Bytes(rw with { Op = VirtioVsock.OpInvalid, Length = 0 }), true },
            { "seqpacket", Bytes(rw with { Type = 2 }, 10), true },
            { "another source cid", Bytes(rw with { SourceCid = 4 }, 10), false },
            { "to the guest itself", Bytes(rw with { DestinationCid = VsockRig.Cid }, 10), false },
            { "to cid 1", Bytes(rw with { DestinationCid = 1 }, 10), false },
            { "source cid with upper bits", Bytes(rw with { SourceCid = VsockRig.Cid | (1UL << 32) }, 10), false },
        };
    }

    [Theory]
    [MemberData(nameof(HostilePackets))]
    public void A_hostile_packet_is_counted_answered_with_rst_when_addressable_and_the_device_goes_on(string what, byte[] packet, bool answered)
    {
        using var rig = new VsockRig();
        rig.SendRaw(packet, default);

        rig.Pump();
        Assert.Equal(1, rig.Counter("errors"));
        Assert.Equal(1, rig.Tx.UsedIdx);
        Assert.Equal(0, rig.Driver.Status & NeedsReset);
        if (answered)
        {
            VsockPacket reset = rig.Expect(p => p.Header.Op == VirtioVsock.OpReset, $"RST for {what}");
            Assert.Equal(1u, reset.Header.DestinationPort);
            Assert.Equal(2u, reset.Header.SourcePort);
        }
        else
        {
            Assert.Empty(rig.Received);
        }

        // The device still works.
        using UnixSocket host = rig.ConnectHost("CONNECT 1\n");
        rig.Expect(p => p.Header.Op == VirtioVsock.OpRequest, "a request after the hostile packet");
    }

    [Fact]
    public void A_hostile_packet_on_a_live_connection_resets_it_and_leaves_others_alone()
    {
        using var rig = new VsockRig();
        (UnixSocket victim, GuestStream victimStream) = AcceptHostProgram(rig, 200);
        (UnixSocket other, GuestStream stream) = AcceptHostProgram(rig, 201);

        rig.Send(victimStream.Packet(VirtioVsock.OpReadWrite, 5000), new byte[10]);

        rig.ExpectHostClosed(victim);
        Assert.Equal(VirtioVsock.OpReset, Assert.Single(victimStream.Control).Header.Op);
        other.Send("still here"u8);
        rig.PumpUntil(() => stream.Data.Count == 10, "the other stream");
        Assert.Equal(1, rig.Counter("errors"));
        Assert.Equal(1, rig.Device.ConnectionCount);
    }

    [Fact]
    public void Packets_for_unknown_connections_get_rst_and_an_rst_for_one_gets_nothing()
    {
        using var rig = new VsockRig();

        rig.Send(VsockRig.Header(VirtioVsock.OpReadWrite, 300, 301, 3), "abc"u8);
        rig.Send(VsockRig.Header(VirtioVsock.OpCreditUpdate, 302, 303));
        rig.Send(VsockRig.Header(VirtioVsock.OpReset, 304, 305));
        rig.PumpUntil(() => rig.Received.Count == 2, "two RSTs");
        rig.Pump();

        Assert.All(rig.Received, p => Assert.Equal(VirtioVsock.OpReset, p.Header.Op));
        Assert.Equal([300u, 302u], rig.Received.Select(p => p.Header.DestinationPort));
        Assert.Equal(0, rig.Counter("errors"));
    }

    [Fact]
    public void A_response_on_an_established_connection_or_data_before_the_response_resets_it()
    {
        using var rig = new VsockRig();
        using UnixSocket early = rig.ConnectHost("CONNECT 400\n");
        VsockPacket request = rig.Expect(p => p.Header.Op == VirtioVsock.OpRequest, "OP_REQUEST");
        rig.Send(VsockRig.Header(VirtioVsock.OpReadWrite, 400, request.Header.SourcePort, 1), "x"u8);
        rig.ExpectHostClosed(early);
        rig.Expect(p => p.Header.Op == VirtioVsock.OpReset, "RST for early data");

        (UnixSocket twice, GuestStream stream) = AcceptHostProgram(rig, 401);
        rig.Send(stream.Packet(VirtioVsock.OpResponse));
        rig.ExpectHostClosed(twice);
        Assert.Equal(VirtioVsock.OpReset, Assert.Single(stream.Control).Header.Op);
        Assert.Equal(2, rig.Counter("errors"));
    }

    [Fact]
    public void A_device_writable_buffer_in_tx_needs_a_reset()
    {
        using var rig = new VsockRig();
        rig.Tx.Descriptor(0, VsockRig.TxData, 64, VirtqDescriptor.FlagWrite);
        rig.Tx.Offer(0);

        rig.Function.NotifyQueue(VirtioVsock.TxQueue);

        Assert.Equal(NeedsReset, rig.Driver.Status & NeedsReset);
    }

    [Fact]
    public void A_device_readable_buffer_in_rx_needs_a_reset_when_a_packet_would_go_in_it()
    {
        using var rig = new VsockRig(rxBuffers: 0);
        rig.Rx.Descriptor(0, VsockRig.RxData, 4096);
        rig.Rx.Offer(0);
        using UnixSocket host = rig.ConnectHost("CONNECT 1\n");

        rig.PumpUntil(() => (rig.Driver.Status & NeedsReset) != 0, "DEVICE_NEEDS_RESET");
    }

    [Fact]
    public void An_rx_buffer_too_small_for_a_header_comes_back_empty_and_the_packet_takes_the_next()
    {
        using var rig = new VsockRig(rxBuffers: 0);
        rig.Rx.Descriptor(0, VsockRig.RxData, VirtioVsockHeader.Size - 1, VirtqDescriptor.FlagWrite);
        rig.Rx.Offer(0);
        rig.Refill = false;
        using UnixSocket host = rig.ConnectHost("CONNECT 1\n");
        rig.PumpUntil(() => rig.EmptyRxBuffers == 1, "the small buffer back");
        rig.Refill = true;

        rig.PostRx(1);
        rig.Expect(p => p.Header.Op == VirtioVsock.OpRequest, "the request in the next buffer");

        Assert.Equal(1, rig.Counter("errors"));
    }

    [Fact]
    public void Replies_without_rx_buffers_stop_tx_at_the_bound_and_it_resumes_when_they_drain()
    {
        using var rig = new VsockRig(rxBuffers: 0);
        rig.Refill = false;
        for (uint i = 0; i < VirtioVsock.MaxPendingReplies + 3; i++)
        {
            rig.Send(VsockRig.Header(VirtioVsock.OpReadWrite, 1000 + i, 9, 0));
        }

        Assert.Equal(VirtioVsock.MaxPendingReplies, rig.Tx.UsedIdx);
        rig.Refill = true;
        rig.PostRx(VsockRig.Size);
        rig.PumpUntil(() => rig.Received.Count == VirtioVsock.MaxPendingReplies + 3, "every RST");

        Assert.Equal(VirtioVsock.MaxPendingReplies + 3, rig.Tx.UsedIdx);
        Assert.Equal(Enumerable.Range(1000, VirtioVsock.MaxPendingReplies + 3).Select(i => (uint)i), rig.Received.Select(p => p.Header.DestinationPort));
    }

    [Fact]
    public void A_device_reset_closes_every_host_socket_and_a_new_driver_gets_new_connections()
    {
        using var rig = new VsockRig();
        (UnixSocket program, _) = AcceptHostProgram(rig, 500);
        (UnixSocket service, _) = ConnectGuest(rig, 501, 502);
        using UnixSocket pending = rig.ConnectHost("CONNECT 503\n");
        using UnixSocket silent = UnixSocket.Connect(rig.SocketPath);
        rig.PumpUntil(() => rig.Device.ConnectionCount == 4, "four connections");

        rig.Driver.Status = 0;

        Assert.Equal(0, rig.Device.ConnectionCount);
        rig.ExpectHostClosed(program);
        rig.ExpectHostClosed(service);
        rig.ExpectHostClosed(pending);
        rig.ExpectHostClosed(silent);
        Assert.Equal(4, rig.Counter("connections_reset"));
        rig.Received.Clear();

        rig.Initialize(8);
        AcceptHostProgram(rig, 504);
    }

    [Fact]
    public void A_transport_reset_closes_the_connections_and_delivers_the_event()
    {
        using var rig = new VsockRig();
        (UnixSocket program, _) = AcceptHostProgram(rig, 600);

        Assert.Equal(VirtioVsockWork.Event, rig.Device.TransportReset());
        rig.Function.NotifyQueue(VirtioVsock.EventQueue);
        rig.Pump();

        Assert.Equal([VirtioVsockEvent.TransportReset], rig.DeliveredEvents);
        Assert.Equal(0, rig.Device.ConnectionCount);
        rig.ExpectHostClosed(program);
    }

    [Fact]
    public void Past_max_connections_a_host_program_is_closed_and_a_guest_request_gets_rst()
    {
        using var rig = new VsockRig(new VirtioVsockOptions { MaxConnections = 2 });
        using UnixSocket a = rig.ConnectHost("CONNECT 1\n");
        using UnixSocket b = rig.ConnectHost("CONNECT 2\n");
        rig.PumpUntil(() => rig.Received.Count == 2, "two requests");
        using UnixSocket c = rig.ConnectHost("CONNECT 3\n");

        rig.ExpectHostClosed(c);
        using UnixSocket listener = rig.ListenHost(700);
        rig.Send(VsockRig.Header(VirtioVsock.OpRequest, 9, 700));
        VsockPacket reset = rig.Expect(p => p.Header.DestinationPort == 9, "RST");

        Assert.Equal(VirtioVsock.OpReset, reset.Header.Op);
        Assert.Equal(1, rig.Counter("host_handshake_failures"));
        Assert.Equal(1, rig.Counter("connect_failures"));
        Assert.Equal(2, rig.Device.ConnectionCount);
    }

    [Fact]
    public void The_counters_have_fixed_names()
    {
        using var rig = new VsockRig();

        Assert.Equal(
            ["connections_opened", "connections_closed", "connections_reset", "connect_failures", "host_handshake_failures", "rx_packets", "rx_bytes", "tx_packets", "tx_bytes", "errors"],
            rig.Device.ReadCounters().Select(c => c.Key));
    }
}
