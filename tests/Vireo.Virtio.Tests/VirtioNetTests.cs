using System.Runtime.InteropServices;
using Vireo.Memory;
using Vireo.Sys;
using static Vireo.Virtio.Tests.ConsoleRig;

namespace Vireo.Virtio.Tests;

/// <summary>The network device driven end to end through the transport, as a guest driver would,
/// over an in-memory backend.</summary>
public sealed class VirtioNetTests
{
    private const ushort NeedsReset = 0x40;
    private const ulong AllOffloads = VirtioNet.FeatureChecksum | VirtioNet.FeatureGuestChecksum
        | VirtioNet.FeatureHostTso4 | VirtioNet.FeatureGuestTso4 | VirtioNet.FeatureHostTso6 | VirtioNet.FeatureGuestTso6
        | VirtioNet.FeatureHostEcn | VirtioNet.FeatureGuestEcn;
    private const ulong NoMerge = ~VirtioNet.FeatureMergeRxBuffers;

    private static byte[] Pattern(int length, int seed = 0) => [.. Enumerable.Range(seed, length).Select(i => (byte)(i * 7 + 3))];

    private static byte[] HeaderBytes(VirtioNetHeader header)
    {
        byte[] bytes = new byte[VirtioNetHeader.Size];
        MemoryMarshal.Write(bytes, in header);
        return bytes;
    }

    private static VirtioNetHeader HeaderAt(NetRig rig, ulong at) => rig.Memory.Read<VirtioNetHeader>(new GuestAddress(at));

    [Fact]
    public void The_device_is_a_network_card_with_two_queues_offering_mac_status_merging_and_the_backends_offloads()
    {
        using var rig = new NetRig();

        Assert.Equal((uint)VirtioPciFunction.DeviceIdBase + 1, rig.Driver.ConfigU32(0) >> 16);
        Assert.Equal(2, rig.Function.QueueCount);
        Assert.Equal(VirtioNet.FeatureMac | VirtioNet.FeatureStatus | VirtioNet.FeatureMergeRxBuffers | AllOffloads, rig.OfferedFeatures & 0xffffff);
        Assert.Equal(rig.OfferedFeatures, rig.Device.NegotiatedFeatures);
    }

    [Fact]
    public void Without_backend_offloads_only_mac_status_and_merging_are_offered_and_the_mtu_only_when_given()
    {
        using var backend = new FakeNetBackend { SupportedOffloads = TunOffloads.None };
        using var rig = new NetRig(backend, mtu: 9000);

        Assert.Equal(VirtioNet.FeatureMac | VirtioNet.FeatureStatus | VirtioNet.FeatureMergeRxBuffers | VirtioNet.FeatureMtu, rig.OfferedFeatures & 0xffffff);
        // Checksum alone: no TSO; TSO without the checksum offload means nothing.
        Assert.Equal(VirtioNet.FeatureChecksum | VirtioNet.FeatureGuestChecksum,
            new VirtioNet(new FakeNetBackend { SupportedOffloads = TunOffloads.Checksum | TunOffloads.TsoEcn }, NetRig.GuestMac).Features & AllOffloads);
        Assert.Equal(0UL, new VirtioNet(new FakeNetBackend { SupportedOffloads = TunOffloads.Tso4 }, NetRig.GuestMac).Features & AllOffloads);
        Assert.Throws<ArgumentOutOfRangeException>(() => new VirtioNet(backend, NetRig.GuestMac, 67));
        Assert.Throws<ArgumentException>(() => new VirtioNet(backend, MacAddress.Parse("01:00:5e:00:00:01")));
    }

    [Fact]
    public void Config_space_holds_the_mac_link_up_one_queue_pair_and_the_mtu()
    {
        using var rig = new NetRig(mtu: 1400);

        Assert.Equal(new byte[] { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 1, 0, 1, 0, 0x78, 0x05 }, rig.ReadConfig(0, 12));
        Assert.Equal(new byte[] { 0xff, 0xff, 0xff, 0xff, 0xff }, rig.ReadConfig(12, 5)); // speed and duplex unknown
        Assert.True(rig.Device.SetLinkUp(false));
        Assert.Equal(new byte[] { 0, 0 }, rig.ReadConfig(6, 2));
        Assert.False(rig.Device.SetLinkUp(false));
        Assert.True(rig.Device.SetLinkUp(true));
    }

    [Fact]
    public void Link_changes_ask_for_no_notification_without_the_status_feature()
    {
        using var rig = new NetRig(accept: ~VirtioNet.FeatureStatus);

        Assert.False(rig.Device.SetLinkUp(false));
        Assert.Equal(new byte[] { 0, 0 }, rig.ReadConfig(6, 2));
    }

    [Theory]
    [InlineData(ulong.MaxValue, TunOffloads.Checksum | TunOffloads.Tso4 | TunOffloads.Tso6 | TunOffloads.TsoEcn)]
    [InlineData(~(VirtioNet.FeatureGuestTso4 | VirtioNet.FeatureGuestTso6 | VirtioNet.FeatureGuestEcn), TunOffloads.Checksum)]
    [InlineData(~VirtioNet.FeatureGuestTso6, TunOffloads.Checksum | TunOffloads.Tso4 | TunOffloads.TsoEcn)]
    [InlineData(~VirtioNet.FeatureGuestChecksum, TunOffloads.None)]
    [InlineData(~AllOffloads, TunOffloads.None)]
    public void The_receive_offloads_the_driver_accepts_go_to_the_backend_and_a_reset_takes_them_back(ulong accept, TunOffloads expected)
    {
        using var rig = new NetRig(accept: accept);

        // Construction's reset (status 0), then the negotiation.
        Assert.Equal(expected, rig.Fake!.OffloadCalls[^1]);
        rig.Driver.Status = 0;
        Assert.Equal(TunOffloads.None, rig.Fake.OffloadCalls[^1]);
    }

    [Fact]
    public void A_frame_gathered_from_several_buffers_is_sent_byte_exact_with_its_header()
    {
        using var rig = new NetRig();
        var header = new VirtioNetHeader { Flags = VirtioNetHeader.FlagNeedsChecksum, ChecksumStart = 34, ChecksumOffset = 16, NumBuffers = 7 };
        byte[] frame = Pattern(1514);
        byte[] bytes = [.. HeaderBytes(header), .. frame];
        rig.Fill(NetRig.Data, bytes.AsSpan(0, 5));
        rig.Fill(NetRig.Data + 0x1000, bytes.AsSpan(5, 600));
        rig.Fill(NetRig.Data + 0x2000, bytes.AsSpan(605));
        Post(rig.Tx, 0, Out(NetRig.Data, 5), Out(NetRig.Data + 0x1000, 600), Out(NetRig.Data + 0x2000, (uint)(bytes.Length - 605)));
        rig.Fill(NetRig.Data + 0x4000, new byte[VirtioNetHeader.Size]);
        rig.Fill(NetRig.Data + 0x5000, Pattern(60, 1));
        Post(rig.Tx, 4, Out(NetRig.Data + 0x4000, VirtioNetHeader.Size), Out(NetRig.Data + 0x5000, 60));

        rig.Driver.Kick(VirtioNet.TransmitQueue);

        Assert.Equal(2, rig.Fake!.Sent.Count);
        header.NumBuffers = 0; // the driver's num_buffers is not passed on
        Assert.Equal(HeaderBytes(header), rig.Fake.Sent[0].Header);
        Assert.Equal(frame, rig.Fake.Sent[0].Frame);
        Assert.Equal(Pattern(60, 1), rig.Fake.Sent[1].Frame);
        Assert.Equal(new VirtqUsedElement { Id = 0, Length = 0 }, rig.Tx.UsedAt(0));
        Assert.Equal(new VirtqUsedElement { Id = 4, Length = 0 }, rig.Tx.UsedAt(1));
        Assert.Equal([2], rig.Interrupt.Signals);
        Assert.Equal(2, rig.Counter("tx_packets"));
        Assert.Equal(1514 + 60, rig.Counter("tx_bytes"));
        Assert.Equal(0, rig.Counter("tx_dropped"));
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(11u)]
    [InlineData((uint)VirtioNet.MaxTransmitLength + 1)]
    public void A_transmit_chain_shorter_than_the_header_or_longer_than_the_limit_is_dropped_and_returned(uint length)
    {
        using var rig = new NetRig();
        Post(rig.Tx, 0, Out(NetRig.Data, length));
        rig.Fill(NetRig.Data + 0x20000, new byte[VirtioNetHeader.Size + 60]);
        Post(rig.Tx, 1, Out(NetRig.Data + 0x20000, VirtioNetHeader.Size + 60));

        rig.Driver.Kick(VirtioNet.TransmitQueue);

        Assert.Equal(0, rig.Driver.Status & NeedsReset);
        Assert.Single(rig.Fake!.Sent);
        Assert.Equal(60, rig.Fake.Sent[0].Frame.Length);
        Assert.Equal(2, rig.Tx.UsedIdx);
        Assert.Equal(1, rig.Counter("tx_dropped"));
        Assert.Equal(1, rig.Counter("errors"));
        Assert.Equal(1, rig.Counter("tx_packets"));
    }

    [Fact]
    public void The_longest_frame_is_sent_whole()
    {
        using var rig = new NetRig();
        byte[] frame = Pattern(VirtioNet.MaxFrameLength);
        rig.Fill(NetRig.Data + VirtioNetHeader.Size, frame);
        Post(rig.Tx, 0, Out(NetRig.Data, VirtioNet.MaxTransmitLength));

        rig.Driver.Kick(VirtioNet.TransmitQueue);

        Assert.Equal(frame, Assert.Single(rig.Fake!.Sent).Frame);
    }

    [Theory]
    [InlineData(VirtioNetHeader.FlagNeedsChecksum, VirtioNetHeader.GsoNone, VirtioNet.FeatureChecksum)]
    [InlineData(0, VirtioNetHeader.GsoTcpV4, VirtioNet.FeatureHostTso4)]
    [InlineData(0, VirtioNetHeader.GsoTcpV6, VirtioNet.FeatureHostTso6)]
    [InlineData(0, VirtioNetHeader.GsoTcpV4 | VirtioNetHeader.GsoEcn, VirtioNet.FeatureHostEcn)]
    public void A_transmit_header_asking_for_an_offload_the_driver_did_not_negotiate_is_dropped(byte flags, byte gso, ulong feature)
    {
        using var with = new NetRig();
        using var without = new NetRig(accept: ~feature);
        byte[] bytes = [.. HeaderBytes(new VirtioNetHeader { Flags = flags, GsoType = gso, GsoSize = 1448, HeaderLength = 54 }), .. Pattern(60)];
        foreach (NetRig rig in new[] { with, without })
        {
            rig.Fill(NetRig.Data, bytes);
            Post(rig.Tx, 0, Out(NetRig.Data, (uint)bytes.Length));
            rig.Driver.Kick(VirtioNet.TransmitQueue);
            Assert.Equal(1, rig.Tx.UsedIdx);
        }

        Assert.Single(with.Fake!.Sent);
        Assert.Empty(without.Fake!.Sent);
        Assert.Equal(1, without.Counter("tx_dropped"));
        Assert.Equal(1, without.Counter("errors"));
    }

    [Fact]
    public void A_gso_type_the_device_never_offers_is_dropped()
    {
        using var rig = new NetRig();
        byte[] bytes = [.. HeaderBytes(new VirtioNetHeader { GsoType = VirtioNetHeader.GsoUdp }), .. Pattern(60)];
        rig.Fill(NetRig.Data, bytes);
        Post(rig.Tx, 0, Out(NetRig.Data, (uint)bytes.Length));

        rig.Driver.Kick(VirtioNet.TransmitQueue);

        Assert.Empty(rig.Fake!.Sent);
        Assert.Equal(1, rig.Counter("tx_dropped"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_frame_the_backend_refuses_or_fails_on_is_counted_as_dropped_and_the_queue_goes_on(bool fail)
    {
        using var rig = new NetRig();
        rig.Fake!.RefuseSends = !fail;
        rig.Fake.FailSends = fail;
        rig.Fill(NetRig.Data, new byte[VirtioNetHeader.Size + 60]);
        Post(rig.Tx, 0, Out(NetRig.Data, VirtioNetHeader.Size + 60));
        Post(rig.Tx, 1, Out(NetRig.Data, VirtioNetHeader.Size + 60));

        rig.Driver.Kick(VirtioNet.TransmitQueue);

        Assert.Equal(0, rig.Driver.Status & NeedsReset);
        Assert.Equal(2, rig.Tx.UsedIdx);
        Assert.Equal(2, rig.Counter("tx_dropped"));
        Assert.Equal(fail ? 2 : 0, rig.Counter("errors"));
        Assert.Equal(0, rig.Counter("tx_packets"));
    }

    [Fact]
    public void A_writable_buffer_on_the_transmit_queue_needs_reset_and_sends_nothing()
    {
        using var rig = new NetRig();
        Post(rig.Tx, 0, Out(NetRig.Data, VirtioNetHeader.Size + 60), In(NetRig.Data + 0x1000, 16));

        rig.Driver.Kick(VirtioNet.TransmitQueue);

        Assert.Equal(NeedsReset, rig.Driver.Status & NeedsReset);
        Assert.Empty(rig.Fake!.Sent);
        Assert.Equal(0, rig.Tx.UsedIdx);
    }

    [Fact]
    public void Without_merging_each_frame_fills_one_chain_with_num_buffers_one()
    {
        using var rig = new NetRig(accept: NoMerge);
        Post(rig.Rx, 0, In(NetRig.Data, 2048));
        Post(rig.Rx, 1, In(NetRig.Data + 0x1000, 10), In(NetRig.Data + 0x2000, 2038));
        Post(rig.Rx, 3, In(NetRig.Data + 0x3000, 2048));
        byte[] first = Pattern(100);
        byte[] second = Pattern(1514, 5);
        rig.Fake!.Enqueue(first, new VirtioNetHeader { Flags = VirtioNetHeader.FlagDataValid });
        rig.Fake.Enqueue(second);

        rig.Function.NotifyQueue(VirtioNet.ReceiveQueue);

        Assert.Equal(2, rig.Rx.UsedIdx);
        Assert.Equal(new VirtqUsedElement { Id = 0, Length = 12 + 100 }, rig.Rx.UsedAt(0));
        Assert.Equal(new VirtqUsedElement { Id = 1, Length = 12 + 1514 }, rig.Rx.UsedAt(1));
        Assert.Equal(new VirtioNetHeader { Flags = VirtioNetHeader.FlagDataValid, NumBuffers = 1 }, HeaderAt(rig, NetRig.Data));
        Assert.Equal(first, rig.Guest(NetRig.Data + 12, 100));
        byte[] split = [.. rig.Guest(NetRig.Data + 0x1000, 10), .. rig.Guest(NetRig.Data + 0x2000, 1526 - 10)];
        Assert.Equal(HeaderBytes(new VirtioNetHeader { NumBuffers = 1 }), split[..12]);
        Assert.Equal(second, split[12..]);
        Assert.Equal([1], rig.Interrupt.Signals);
        Assert.Equal(2, rig.Counter("rx_packets"));
        Assert.Equal(1614, rig.Counter("rx_bytes"));
        Assert.False(rig.Device.ReceiveStalled);
        Assert.Equal(3, rig.Fake.ReceiveCalls); // two frames, then "none"
    }

    [Fact]
    public void With_merging_a_frame_spans_several_small_chains_and_num_buffers_counts_them()
    {
        using var rig = new NetRig();
        for (ushort i = 0; i < 4; i++)
        {
            Post(rig.Rx, i, In(NetRig.Data + (i * 0x1000UL), 512));
        }
        byte[] frame = Pattern(1400);
        rig.Fake!.Enqueue(frame);

        rig.Function.NotifyQueue(VirtioNet.ReceiveQueue);

        Assert.Equal(3, rig.Rx.UsedIdx);
        Assert.Equal(new VirtqUsedElement { Id = 0, Length = 512 }, rig.Rx.UsedAt(0));
        Assert.Equal(new VirtqUsedElement { Id = 1, Length = 512 }, rig.Rx.UsedAt(1));
        Assert.Equal(new VirtqUsedElement { Id = 2, Length = 1412 - 1024 }, rig.Rx.UsedAt(2));
        Assert.Equal(3, HeaderAt(rig, NetRig.Data).NumBuffers);
        byte[] received = [.. rig.Guest(NetRig.Data, 512), .. rig.Guest(NetRig.Data + 0x1000, 512), .. rig.Guest(NetRig.Data + 0x2000, 388)];
        Assert.Equal(frame, received[12..]);
        Assert.Equal(new byte[512], rig.Guest(NetRig.Data + 0x3000, 512)); // the fourth chain is still the driver's

        // A small frame then takes the fourth chain alone.
        rig.Fake.Enqueue(Pattern(60, 9));
        rig.Function.NotifyQueue(VirtioNet.ReceiveQueue);
        Assert.Equal(new VirtqUsedElement { Id = 3, Length = 72 }, rig.Rx.UsedAt(3));
        Assert.Equal(1, HeaderAt(rig, NetRig.Data + 0x3000).NumBuffers);
    }

    [Fact]
    public void With_no_buffer_posted_the_frame_stays_in_the_backend_until_the_driver_posts_one_and_notifies()
    {
        using var rig = new NetRig();
        rig.Fake!.Enqueue(Pattern(100));

        rig.Function.NotifyQueue(VirtioNet.ReceiveQueue);

        Assert.True(rig.Device.ReceiveStalled);
        Assert.Equal(0, rig.Fake.ReceiveCalls);
        Assert.Single(rig.Fake.Inbound);
        Assert.Empty(rig.Interrupt.Signals);

        Post(rig.Rx, 0, In(NetRig.Data, 2048));
        Post(rig.Rx, 1, In(NetRig.Data + 0x1000, 2048));
        rig.Driver.Kick(VirtioNet.ReceiveQueue);

        Assert.False(rig.Device.ReceiveStalled); // the backend ran dry with a buffer left
        Assert.Equal(new VirtqUsedElement { Id = 0, Length = 112 }, rig.Rx.UsedAt(0));
        Assert.Equal(Pattern(100), rig.Guest(NetRig.Data + 12, 100));
        Assert.Equal([1], rig.Interrupt.Signals);
    }

    [Fact]
    public void A_frame_needing_more_buffers_than_posted_is_held_whole_and_the_next_stays_in_the_backend()
    {
        using var rig = new NetRig();
        Post(rig.Rx, 0, In(NetRig.Data, 512));
        byte[] big = Pattern(1400);
        rig.Fake!.Enqueue(big);
        rig.Fake.Enqueue(Pattern(60, 3));

        rig.Function.NotifyQueue(VirtioNet.ReceiveQueue);

        Assert.True(rig.Device.ReceiveStalled);
        Assert.Equal(0, rig.Rx.UsedIdx);
        Assert.Single(rig.Fake.Inbound); // only the held frame was read

        Post(rig.Rx, 1, In(NetRig.Data + 0x1000, 512));
        Post(rig.Rx, 2, In(NetRig.Data + 0x2000, 512));
        Post(rig.Rx, 3, In(NetRig.Data + 0x3000, 512));
        rig.Driver.Kick(VirtioNet.ReceiveQueue);

        Assert.Equal(4, rig.Rx.UsedIdx);
        Assert.Equal(3, HeaderAt(rig, NetRig.Data).NumBuffers);
        Assert.Equal(big, (byte[])[.. rig.Guest(NetRig.Data + 12, 500), .. rig.Guest(NetRig.Data + 0x1000, 512), .. rig.Guest(NetRig.Data + 0x2000, 388)]);
        Assert.Equal(new VirtqUsedElement { Id = 3, Length = 72 }, rig.Rx.UsedAt(3));
        Assert.Equal(Pattern(60, 3), rig.Guest(NetRig.Data + 0x3000 + 12, 60));
        Assert.Empty(rig.Fake.Inbound);
        Assert.Equal(0, rig.Counter("rx_dropped"));
    }

    [Fact]
    public void A_frame_larger_than_the_whole_ring_is_dropped_instead_of_waiting_forever()
    {
        using var rig = new NetRig();
        for (ushort i = 0; i < NetRig.Size; i++)
        {
            Post(rig.Rx, i, In(NetRig.Data + (i * 0x1000UL), 64));
        }
        rig.Fake!.Enqueue(Pattern(2000));
        rig.Fake.Enqueue(Pattern(40));

        rig.Function.NotifyQueue(VirtioNet.ReceiveQueue);

        Assert.Equal(1, rig.Counter("rx_dropped"));
        Assert.Equal(1, rig.Rx.UsedIdx);
        Assert.Equal(new VirtqUsedElement { Id = 0, Length = 52 }, rig.Rx.UsedAt(0));
    }

    [Fact]
    public void Without_merging_a_frame_too_big_for_the_chain_is_dropped_and_the_chain_serves_the_next()
    {
        using var rig = new NetRig(accept: NoMerge);
        Post(rig.Rx, 0, In(NetRig.Data, 200));
        rig.Fake!.Enqueue(Pattern(1514));
        rig.Fake.Enqueue(Pattern(100, 2));

        rig.Function.NotifyQueue(VirtioNet.ReceiveQueue);

        Assert.Equal(1, rig.Counter("rx_dropped"));
        Assert.Equal(new VirtqUsedElement { Id = 0, Length = 112 }, rig.Rx.UsedAt(0));
        Assert.Equal(Pattern(100, 2), rig.Guest(NetRig.Data + 12, 100));
    }

    [Fact]
    public void A_frame_with_a_partial_checksum_for_a_driver_without_guest_csum_is_dropped_and_data_valid_is_cleared()
    {
        using var rig = new NetRig(accept: ~VirtioNet.FeatureGuestChecksum);
        Post(rig.Rx, 0, In(NetRig.Data, 2048));
        rig.Fake!.Enqueue(Pattern(100), new VirtioNetHeader { Flags = VirtioNetHeader.FlagNeedsChecksum });
        rig.Fake.Enqueue(Pattern(100), new VirtioNetHeader { GsoType = VirtioNetHeader.GsoTcpV4, GsoSize = 1448 });
        rig.Fake.Enqueue(Pattern(100), new VirtioNetHeader { Flags = VirtioNetHeader.FlagDataValid });

        rig.Function.NotifyQueue(VirtioNet.ReceiveQueue);

        Assert.Equal(2, rig.Counter("rx_dropped"));
        Assert.Equal(1, rig.Rx.UsedIdx);
        Assert.Equal(new VirtioNetHeader { NumBuffers = 1 }, HeaderAt(rig, NetRig.Data));
    }

    [Fact]
    public void A_frame_the_backend_cut_is_dropped_as_an_error()
    {
        using var rig = new NetRig();
        Post(rig.Rx, 0, In(NetRig.Data, 2048));
        rig.Fake!.Enqueue(new byte[VirtioNet.MaxFrameLength + 1]);
        rig.Fake.Enqueue(Pattern(10));

        rig.Function.NotifyQueue(VirtioNet.ReceiveQueue);

        Assert.Equal(1, rig.Counter("rx_dropped"));
        Assert.Equal(1, rig.Counter("errors"));
        Assert.Equal(new VirtqUsedElement { Id = 0, Length = 22 }, rig.Rx.UsedAt(0));
    }

    [Fact]
    public void A_receive_pass_takes_at_most_its_limit_of_frames_from_a_flooding_backend()
    {
        using var rig = new NetRig();
        Post(rig.Rx, 0, In(NetRig.Data, 2048));
        byte[] oversized = new byte[VirtioNet.MaxFrameLength + 1];
        for (int i = 0; i < VirtioNet.MaxFramesPerPass + 5; i++)
        {
            rig.Fake!.Enqueue(oversized);
        }

        rig.Function.NotifyQueue(VirtioNet.ReceiveQueue);

        Assert.Equal(VirtioNet.MaxFramesPerPass, rig.Counter("rx_dropped"));
        Assert.Equal(5, rig.Fake!.Inbound.Count);
        Assert.False(rig.Device.ReceiveStalled); // the handle stays readable for the next pass
        rig.Fake.Enqueue(Pattern(10));
        rig.Function.NotifyQueue(VirtioNet.ReceiveQueue);
        Assert.Equal(1, rig.Rx.UsedIdx);
    }

    [Fact]
    public void A_readable_buffer_on_the_receive_queue_needs_reset()
    {
        using var rig = new NetRig();
        Post(rig.Rx, 0, Out(NetRig.Data, 2048));
        rig.Fake!.Enqueue(Pattern(60));

        rig.Function.NotifyQueue(VirtioNet.ReceiveQueue);

        Assert.Equal(NeedsReset, rig.Driver.Status & NeedsReset);
        Assert.Equal(0, rig.Rx.UsedIdx);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(11u)]
    public void A_receive_chain_with_less_room_than_the_header_needs_reset(uint length)
    {
        using var rig = new NetRig();
        Post(rig.Rx, 0, In(NetRig.Data, length));
        rig.Fake!.Enqueue(Pattern(60));

        rig.Function.NotifyQueue(VirtioNet.ReceiveQueue);

        Assert.Equal(NeedsReset, rig.Driver.Status & NeedsReset);
        Assert.Equal(0, rig.Rx.UsedIdx);
    }

    [Theory]
    [InlineData(VirtioNet.ReceiveQueue)]
    [InlineData(VirtioNet.TransmitQueue)]
    public void A_chain_past_guest_ram_needs_reset(int queue)
    {
        using var rig = new NetRig();
        QueueRing ring = queue == VirtioNet.ReceiveQueue ? rig.Rx : rig.Tx;
        Post(ring, 0, (0xff000, 0x2000, queue == VirtioNet.ReceiveQueue));
        rig.Fake!.Enqueue(Pattern(60));

        rig.Driver.Kick((ushort)queue);

        Assert.Equal(NeedsReset, rig.Driver.Status & NeedsReset);
        Assert.Empty(rig.Fake.Sent);
    }

    [Fact]
    public void A_driver_reset_drops_the_held_frame_and_turns_the_backends_offloads_off()
    {
        using var rig = new NetRig();
        Post(rig.Rx, 0, In(NetRig.Data, 512));
        rig.Fake!.Enqueue(Pattern(1400));
        rig.Function.NotifyQueue(VirtioNet.ReceiveQueue);
        Assert.True(rig.Device.ReceiveStalled);

        rig.Initialize(rig.OfferedFeatures);

        Assert.Equal(1, rig.Counter("rx_dropped"));
        // The new driver has posted nothing yet: the backend is not waited on until it kicks.
        Assert.True(rig.Device.ReceiveStalled);
        Assert.False(rig.Device.WantsHostEvent(0));
        Assert.Contains(TunOffloads.None, rig.Fake.OffloadCalls[1..]);
        Post(rig.Rx, 0, In(NetRig.Data, 2048));
        Post(rig.Rx, 1, In(NetRig.Data + 0x1000, 2048));
        rig.Fake.Enqueue(Pattern(30));
        rig.Function.NotifyQueue(VirtioNet.ReceiveQueue);
        Assert.Equal(new VirtqUsedElement { Id = 0, Length = 42 }, rig.Rx.UsedAt(0));
        // A buffer is left and the backend is empty: the next frame is waited for.
        Assert.True(rig.Device.WantsHostEvent(0));
    }

    [Fact]
    public void The_backend_is_waited_on_only_between_a_drained_pass_and_a_pass_that_found_no_buffer()
    {
        using var rig = new NetRig();
        Assert.Equal([rig.Fake!.ReadableHandle], rig.Device.HostEventSources);
        Assert.Equal(1UL << VirtioNet.ReceiveQueue, rig.Device.ServeHostEvent(0));
        // Before the driver's first receive kick there is nowhere to put a frame.
        Assert.False(rig.Device.WantsHostEvent(0));

        Post(rig.Rx, 0, In(NetRig.Data, 2048));
        rig.Function.NotifyQueue(VirtioNet.ReceiveQueue);
        Assert.True(rig.Device.WantsHostEvent(0));

        // One frame fills the only buffer; the next finds none and stays in the backend.
        rig.Fake.Enqueue(Pattern(60));
        rig.Fake.Enqueue(Pattern(60));
        rig.Function.NotifyQueue(VirtioNet.ReceiveQueue);
        Assert.False(rig.Device.WantsHostEvent(0));
    }

    [Fact]
    public void Counters_are_named_and_ordered()
    {
        using var rig = new NetRig();

        Assert.Equal(["rx_bytes", "rx_packets", "tx_bytes", "tx_packets", "rx_dropped", "tx_dropped", "errors"], rig.Device.ReadCounters().Select(c => c.Key));
    }
}
