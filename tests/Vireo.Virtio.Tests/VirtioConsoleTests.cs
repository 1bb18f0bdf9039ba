using System.Text;
using Vireo.Memory;

namespace Vireo.Virtio.Tests;

/// <summary>The console device driven end to end through the transport, as a guest driver would,
/// with the host feeding input and reading output as a machine would.</summary>
public sealed class VirtioConsoleTests
{
    private const ushort NeedsReset = 0x40;

    private static byte[] Pattern(int length, int seed = 0) => [.. Enumerable.Range(seed, length).Select(i => (byte)(i * 7 + 3))];

    [Fact]
    public void The_device_is_a_console_with_two_queues_offering_size_and_emergency_write_but_not_multiport()
    {
        using var rig = new ConsoleRig();

        Assert.Equal((uint)VirtioPciFunction.DeviceIdBase + 3, rig.Driver.ConfigU32(0) >> 16);
        Assert.Equal(2, rig.Function.QueueCount);
        Assert.Equal(VirtioConsole.FeatureSize | VirtioConsole.FeatureEmergencyWrite, rig.OfferedFeatures & 0xffffff);
        Assert.Equal(rig.OfferedFeatures, rig.Device.NegotiatedFeatures);
    }

    [Fact]
    public void Guest_output_reaches_the_sink_byte_exact_across_buffers_and_chains_with_used_length_zero()
    {
        using var rig = new ConsoleRig();
        byte[] first = Pattern(5000);
        byte[] second = Encoding.ASCII.GetBytes("login: ");
        byte[] third = Pattern(3, 99);
        rig.Fill(ConsoleRig.Data, first);
        rig.Fill(ConsoleRig.Data + 0x2000, second);
        rig.Fill(ConsoleRig.Data + 0x3000, third);
        ConsoleRig.Post(rig.Tx, 0, ConsoleRig.Out(ConsoleRig.Data, 5000), ConsoleRig.Out(ConsoleRig.Data + 0x2000, (uint)second.Length));
        ConsoleRig.Post(rig.Tx, 4, ConsoleRig.Out(ConsoleRig.Data + 0x3000, 3));

        rig.Driver.Kick(1);

        Assert.Equal([.. first, .. second, .. third], rig.Output);
        Assert.All(rig.Chunks, c => Assert.InRange(c, 1, VirtioConsole.ChunkSize));
        Assert.Equal(2, rig.Tx.UsedIdx);
        Assert.Equal(new VirtqUsedElement { Id = 0, Length = 0 }, rig.Tx.UsedAt(0));
        Assert.Equal(new VirtqUsedElement { Id = 4, Length = 0 }, rig.Tx.UsedAt(1));
        Assert.Equal([2], rig.Interrupt.Signals);
        Assert.Equal(0, rig.Rx.UsedIdx);
    }

    [Fact]
    public void Input_is_split_across_receive_buffers_and_chains_in_order()
    {
        using var rig = new ConsoleRig();
        ConsoleRig.Post(rig.Rx, 0, ConsoleRig.In(ConsoleRig.Data, 30), ConsoleRig.In(ConsoleRig.Data + 0x1000, 20));
        ConsoleRig.Post(rig.Rx, 2, ConsoleRig.In(ConsoleRig.Data + 0x2000, 64));
        ConsoleRig.Post(rig.Rx, 3, ConsoleRig.In(ConsoleRig.Data + 0x3000, 64));
        rig.Driver.Kick(0);
        Assert.Equal(0, rig.Rx.UsedIdx); // no input yet: buffers stay available
        Assert.Empty(rig.Interrupt.Signals);
        byte[] input = Pattern(100);

        Assert.Equal(100, rig.Device.Offer(input));
        rig.Function.NotifyQueue(VirtioConsole.ReceiveQueue);

        Assert.Equal(2, rig.Rx.UsedIdx);
        Assert.Equal(new VirtqUsedElement { Id = 0, Length = 50 }, rig.Rx.UsedAt(0));
        Assert.Equal(new VirtqUsedElement { Id = 2, Length = 50 }, rig.Rx.UsedAt(1));
        Assert.Equal(input[..30], rig.Guest(ConsoleRig.Data, 30));
        Assert.Equal(input[30..50], rig.Guest(ConsoleRig.Data + 0x1000, 20));
        Assert.Equal(input[50..], rig.Guest(ConsoleRig.Data + 0x2000, 50));
        Assert.Equal(new byte[14], rig.Guest(ConsoleRig.Data + 0x2000 + 50, 14)); // never more than offered
        Assert.Equal([1], rig.Interrupt.Signals);
        Assert.Equal(0, rig.Device.PendingInput);

        // The third chain is still available and takes the next input.
        Assert.Equal(3, rig.Device.Offer("abc"u8));
        rig.Function.NotifyQueue(VirtioConsole.ReceiveQueue);
        Assert.Equal(new VirtqUsedElement { Id = 3, Length = 3 }, rig.Rx.UsedAt(2));
        Assert.Equal("abc"u8.ToArray(), rig.Guest(ConsoleRig.Data + 0x3000, 3));
    }

    [Fact]
    public void Input_waits_for_a_receive_buffer_and_arrives_when_the_driver_posts_one_and_kicks()
    {
        using var rig = new ConsoleRig();

        Assert.Equal(6, rig.Device.Offer("hello\n"u8));
        rig.Function.NotifyQueue(VirtioConsole.ReceiveQueue);
        Assert.Equal(0, rig.Rx.UsedIdx);
        Assert.Equal(6, rig.Device.PendingInput);
        Assert.Empty(rig.Interrupt.Signals);

        ConsoleRig.Post(rig.Rx, 0, ConsoleRig.In(ConsoleRig.Data, 4));
        rig.Driver.Kick(0);
        Assert.Equal(new VirtqUsedElement { Id = 0, Length = 4 }, rig.Rx.UsedAt(0));
        Assert.Equal("hell"u8.ToArray(), rig.Guest(ConsoleRig.Data, 4));
        Assert.Equal(2, rig.Device.PendingInput);

        ConsoleRig.Post(rig.Rx, 1, ConsoleRig.In(ConsoleRig.Data + 0x1000, 4096));
        rig.Rx.SetUsedEvent(1); // EVENT_IDX was negotiated: ask for the next used entry's interrupt
        rig.Driver.Kick(0);
        Assert.Equal(new VirtqUsedElement { Id = 1, Length = 2 }, rig.Rx.UsedAt(1));
        Assert.Equal("o\n"u8.ToArray(), rig.Guest(ConsoleRig.Data + 0x1000, 2));
        Assert.Equal([1, 1], rig.Interrupt.Signals);
    }

    [Fact]
    public void A_full_input_buffer_accepts_what_fits_counts_the_rest_as_dropped_and_keeps_order_across_the_wrap()
    {
        using var rig = new ConsoleRig();
        byte[] all = Pattern(VirtioConsole.InputCapacity + 1000);

        Assert.Equal(VirtioConsole.InputCapacity, rig.Device.Offer(all.AsSpan(0, VirtioConsole.InputCapacity + 10)));
        Assert.Equal(0, rig.Device.Offer(all.AsSpan(VirtioConsole.InputCapacity, 1)));
        Assert.Equal(0, rig.Device.InputFree);

        ConsoleRig.Post(rig.Rx, 0, ConsoleRig.In(ConsoleRig.Data, 1000));
        rig.Function.NotifyQueue(VirtioConsole.ReceiveQueue);
        Assert.Equal(1000, rig.Device.InputFree);
        Assert.Equal(1000, rig.Device.Offer(all.AsSpan(VirtioConsole.InputCapacity))); // wraps in the buffer
        ConsoleRig.Post(rig.Rx, 1, ConsoleRig.In(ConsoleRig.Data + 0x1000, 0x20000));
        rig.Function.NotifyQueue(VirtioConsole.ReceiveQueue);

        Assert.Equal((uint)VirtioConsole.InputCapacity, rig.Rx.UsedAt(1).Length);
        byte[] delivered = [.. rig.Guest(ConsoleRig.Data, 1000), .. rig.Guest(ConsoleRig.Data + 0x1000, VirtioConsole.InputCapacity)];
        Assert.Equal(all, delivered);
        Assert.Equal(11, Counter(rig, "rx_dropped"));
        Assert.Equal(all.Length, Counter(rig, "rx_bytes"));
    }

    [Fact]
    public void Config_space_holds_cols_rows_one_port_and_a_zero_emergency_register()
    {
        using var rig = new ConsoleRig();

        Assert.Equal(new byte[] { 132, 0, 43, 0, 1, 0, 0, 0, 0, 0, 0, 0 }, rig.ReadConfig(0, VirtioConsoleConfig.Size));
        Assert.Equal(new byte[] { 43, 0 }, rig.ReadConfig(2, 2));
    }

    [Fact]
    public void Resize_changes_cols_and_rows_and_asks_for_a_config_notification_only_when_size_was_negotiated()
    {
        using var rig = new ConsoleRig();

        Assert.True(rig.Device.Resize(0x1234, 60));
        Assert.Equal(new byte[] { 0x34, 0x12, 60, 0 }, rig.ReadConfig(0, 4));
        Assert.False(rig.Device.Resize(0x1234, 60)); // unchanged

        rig.Initialize(VirtioFeatures.Version1);
        Assert.False(rig.Device.Resize(80, 24));
        Assert.Equal(new byte[] { 80, 0, 24, 0 }, rig.ReadConfig(0, 4));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void An_emergency_write_outputs_its_low_byte_even_before_the_driver_is_ready(int width)
    {
        using var rig = new ConsoleRig();
        rig.Driver.Status = 0;

        rig.WriteConfig(VirtioConsoleConfig.EmergencyWriteOffset, new byte[] { (byte)'!', 0x55, 0x66, 0x77 }.AsSpan(0, width));
        rig.WriteConfig(0, [9, 9, 9, 9]); // cols and rows are read-only

        Assert.Equal("!"u8.ToArray(), rig.Output);
        Assert.Equal(new byte[] { 132, 0, 43, 0 }, rig.ReadConfig(0, 4));
        Assert.Equal(new byte[4], rig.ReadConfig(VirtioConsoleConfig.EmergencyWriteOffset, 4));
        Assert.Equal(1, Counter(rig, "tx_bytes"));
    }

    [Fact]
    public void Driver_ok_raises_a_configuration_change_so_the_driver_reads_the_size_only_when_size_was_negotiated()
    {
        using var withSize = new ConsoleRig();
        using var withoutSize = new ConsoleRig(accept: ~VirtioConsole.FeatureSize);

        // Linux's virtio_console reads cols and rows only on a configuration change.
        Assert.Equal([0], withSize.ReadyConfigSignals); // msix_config
        Assert.Empty(withoutSize.ReadyConfigSignals);
    }

    [Fact]
    public void A_writable_buffer_on_the_transmit_queue_needs_reset_and_sends_nothing()
    {
        using var rig = new ConsoleRig();
        rig.Fill(ConsoleRig.Data, "secret"u8);
        ConsoleRig.Post(rig.Tx, 0, ConsoleRig.Out(ConsoleRig.Data, 6), ConsoleRig.In(ConsoleRig.Data + 0x1000, 16));

        rig.Driver.Kick(1);

        Assert.Equal(NeedsReset, rig.Driver.Status & NeedsReset);
        Assert.Empty(rig.Output);
        Assert.Equal(0, rig.Tx.UsedIdx);
        Assert.Equal([0], rig.Interrupt.Signals); // msix_config
    }

    [Fact]
    public void A_readable_buffer_on_the_receive_queue_needs_reset()
    {
        using var rig = new ConsoleRig();
        ConsoleRig.Post(rig.Rx, 0, ConsoleRig.Out(ConsoleRig.Data, 16));
        rig.Device.Offer("x"u8);

        rig.Function.NotifyQueue(VirtioConsole.ReceiveQueue);

        Assert.Equal(NeedsReset, rig.Driver.Status & NeedsReset);
        Assert.Equal(0, rig.Rx.UsedIdx);
        Assert.Equal(0, rig.Memory.Read<byte>(new GuestAddress(ConsoleRig.Data)));
    }

    [Theory]
    [InlineData(VirtioConsole.ReceiveQueue)]
    [InlineData(VirtioConsole.TransmitQueue)]
    public void A_buffer_outside_guest_ram_needs_reset(int queue)
    {
        using var rig = new ConsoleRig();
        QueueRing ring = queue == VirtioConsole.ReceiveQueue ? rig.Rx : rig.Tx;
        ConsoleRig.Post(ring, 0, (0xff000, 0x2000, queue == VirtioConsole.ReceiveQueue));
        rig.Device.Offer("x"u8);

        rig.Driver.Kick((ushort)queue);

        Assert.Equal(NeedsReset, rig.Driver.Status & NeedsReset);
        Assert.Empty(rig.Output);
    }

    [Fact]
    public void A_huge_transmit_chain_sends_at_most_the_cap_in_bounded_chunks_and_counts_the_rest_as_dropped()
    {
        long received = 0;
        int largest = 0;
        using var rig = new ConsoleRig(output: bytes =>
        {
            received += bytes.Length;
            largest = Math.Max(largest, bytes.Length);
        });
        const uint Length = 0xc0000; // 768 KiB, named 16 times: 12 MiB of output from 1 MiB of RAM
        var buffers = Enumerable.Repeat(ConsoleRig.Out(ConsoleRig.Data, Length), ConsoleRig.Size).ToArray();
        ConsoleRig.Post(rig.Tx, 0, buffers);

        rig.Driver.Kick(1);

        Assert.Equal(VirtioConsole.MaxBytesPerChain, received);
        Assert.Equal(VirtioConsole.ChunkSize, largest);
        Assert.Equal(new VirtqUsedElement { Id = 0, Length = 0 }, rig.Tx.UsedAt(0));
        Assert.Equal(VirtioConsole.MaxBytesPerChain, Counter(rig, "tx_bytes"));
        Assert.Equal((16L * Length) - VirtioConsole.MaxBytesPerChain, Counter(rig, "tx_dropped"));
        Assert.Equal(0x0f, rig.Driver.Status);
    }

    [Fact]
    public void A_driver_reset_discards_pending_input_as_dropped_and_keeps_the_size()
    {
        using var rig = new ConsoleRig();
        rig.Device.Resize(100, 40);
        rig.Device.Offer("typed before reboot"u8);

        rig.Initialize(rig.OfferedFeatures);

        Assert.Equal(0, rig.Device.PendingInput);
        Assert.Equal(19, Counter(rig, "rx_dropped"));
        Assert.Equal(new byte[] { 100, 0, 40, 0 }, rig.ReadConfig(0, 4));
        ConsoleRig.Post(rig.Rx, 0, ConsoleRig.In(ConsoleRig.Data, 64));
        rig.Driver.Kick(0);
        Assert.Equal(0, rig.Rx.UsedIdx);
    }

    [Fact]
    public void Counters_are_named_and_ordered()
    {
        using var rig = new ConsoleRig();
        rig.Fill(ConsoleRig.Data, "out"u8);
        ConsoleRig.Post(rig.Tx, 0, ConsoleRig.Out(ConsoleRig.Data, 3));
        rig.Driver.Kick(1);
        ConsoleRig.Post(rig.Rx, 0, ConsoleRig.In(ConsoleRig.Data + 0x1000, 2));
        rig.Device.Offer("in"u8);
        rig.Function.NotifyQueue(VirtioConsole.ReceiveQueue);

        Assert.Equal([new("rx_bytes", 2), new("rx_dropped", 0), new("tx_bytes", 3), new("tx_dropped", 0)], rig.Device.ReadCounters());
    }

    [Fact]
    public void Input_offered_from_another_thread_arrives_whole_and_in_order()
    {
        using var rig = new ConsoleRig();
        byte[] input = Pattern(20000);
        var producer = new Thread(() =>
        {
            for (int at = 0; at < input.Length;)
            {
                int piece = Math.Min(7, input.Length - at);
                at += rig.Device.Offer(input.AsSpan(at, piece));
                rig.Function.NotifyQueue(VirtioConsole.ReceiveQueue);
            }
        });
        producer.Start();

        var received = new List<byte>();
        ushort seen = 0;
        DateTime deadline = DateTime.UtcNow.AddSeconds(30);
        ushort slot = 0;
        ConsoleRig.Post(rig.Rx, slot, ConsoleRig.In(ConsoleRig.Data, 64));
        rig.Driver.Kick(0);
        while (received.Count < input.Length)
        {
            Assert.True(DateTime.UtcNow < deadline, $"only {received.Count} of {input.Length} bytes arrived");
            if (rig.Rx.UsedIdx == seen)
            {
                Thread.Yield();
                continue;
            }
            VirtqUsedElement used = rig.Rx.UsedAt(seen);
            Assert.Equal(slot, (ushort)used.Id);
            received.AddRange(rig.Guest(ConsoleRig.Data + (slot * 0x100UL), (int)used.Length));
            seen++;
            slot = (ushort)(seen % ConsoleRig.Size);
            ConsoleRig.Post(rig.Rx, slot, ConsoleRig.In(ConsoleRig.Data + (slot * 0x100UL), 64));
            rig.Driver.Kick(0);
        }
        producer.Join();

        Assert.Equal(input, received);
        Assert.Equal(0, rig.Device.PendingInput);
    }

    private static long Counter(ConsoleRig rig, string name) => rig.Device.ReadCounters().Single(c => c.Key == name).Value;
}
