using Vireo.Memory;

namespace Vireo.Virtio.Tests;

/// <summary><see cref="VirtioPciFunction.SaveState"/> and <see cref="VirtioPciFunction.RestoreState"/>:
/// a driver's device, its state moved into a fresh transport over the same RAM (as a snapshot's
/// restore does in another process), goes on as if nothing happened; a state that does not fit is
/// refused whole.</summary>
public sealed class VirtioTransportStateTests
{
    private static void Counting(Span<byte> data)
    {
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = (byte)(i + 1);
        }
    }

    // A driver's rng function with two requests served, restored into a fresh one.
    private static (VirtioPciFunction Restored, RecordingInterrupt Interrupt, DriverRing Ring, VirtioTransportState State) Moved(GuestMemory memory, bool eventIdx)
    {
        var first = new VirtioPciFunction("rng", new VirtioRng(Counting), memory, new RecordingInterrupt());
        var driver = new PciDriver(first);
        var ring = new DriverRing(memory, 8);
        Assert.Equal(0x0f, driver.Initialize(VirtioFeatures.Version1 | (eventIdx ? VirtioFeatures.EventIdx : 0), 8));
        for (ushort i = 0; i < 2; i++)
        {
            ring.Descriptor(i, 0x40000 + (0x1000UL * i), 32, VirtqDescriptor.FlagWrite);
            ring.Offer(i);
            driver.Kick(0);
        }
        Assert.Equal(2, ring.UsedIdx);
        VirtioTransportState state = first.SaveState();

        var interrupt = new RecordingInterrupt();
        var restored = new VirtioPciFunction("rng", new VirtioRng(Counting), memory, interrupt);
        var pci = new PciDriver(restored);
        // PCI state, as the machine replays it: Bus Master, MSI-X enabled, vectors unmasked.
        pci.BusMaster(true);
        pci.EnableMsix();
        pci.MaskVector(0, false);
        pci.MaskVector(1, false);
        restored.RestoreState(state);
        return (restored, interrupt, ring, state);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_restored_transport_continues_the_queue_where_the_saved_one_stopped(bool eventIdx)
    {
        using GuestMemory memory = DriverRing.NewMemory();
        (VirtioPciFunction restored, RecordingInterrupt interrupt, DriverRing ring, VirtioTransportState state) = Moved(memory, eventIdx);

        Assert.Equal((byte)0x0f, state.Status);
        Assert.Equal(2, state.Queues[0].NextAvail);
        Assert.Equal(2, state.Queues[0].NextUsed);
        var driver = new PciDriver(restored);
        Assert.Equal(0x0f, driver.Status);
        Assert.Equal(VirtioFeatures.Version1 | (eventIdx ? VirtioFeatures.EventIdx : 0), (driver.Read(driver.Common + 0x08, 4) == 1 ? driver.Read(driver.Common + 0x0c, 4) << 32 : 0) | ReadDriverFeaturesLow(driver));
        driver.Write(driver.Common + 0x16, 2, 0);
        Assert.Equal(DriverRing.DescAddress, driver.Read(driver.Common + 0x20, 8));
        Assert.Equal(DriverRing.UsedAddress, driver.Read(driver.Common + 0x30, 8));
        Assert.Equal(1UL, driver.Read(driver.Common + 0x1c, 2));

        // The third request lands in used slot 2, with the interrupt on the queue's vector.
        ring.Descriptor(2, 0x42000, 16, VirtqDescriptor.FlagWrite);
        ring.Offer(2);
        if (eventIdx)
        {
            // "Interrupt me once used idx passes 2": the restored device knows it signalled at 2.
            ring.SetUsedEvent(2);
        }
        driver.Kick(0);

        Assert.Equal(3, ring.UsedIdx);
        Assert.Equal(new VirtqUsedElement { Id = 2, Length = 16 }, ring.Used(2));
        Assert.Equal([1], interrupt.Signals);
        Assert.Equal(1, memory.Read<byte>(new GuestAddress(0x42000)));
    }

    private static ulong ReadDriverFeaturesLow(PciDriver driver)
    {
        driver.Write(driver.Common + 0x08, 4, 0);
        ulong low = driver.Read(driver.Common + 0x0c, 4);
        driver.Write(driver.Common + 0x08, 4, 1);
        return low;
    }

    [Fact]
    public void A_vector_pending_behind_its_mask_is_pending_again_after_the_restore()
    {
        using GuestMemory memory = DriverRing.NewMemory();
        var first = new VirtioPciFunction("rng", new VirtioRng(Counting), memory, new RecordingInterrupt());
        var driver = new PciDriver(first);
        var ring = new DriverRing(memory, 8);
        Assert.Equal(0x0f, driver.Initialize(VirtioFeatures.Version1, 8));
        driver.MaskVector(1, true);
        ring.Descriptor(0, 0x40000, 8, VirtqDescriptor.FlagWrite);
        ring.Offer(0);
        driver.Kick(0);
        VirtioTransportState state = first.SaveState();
        Assert.Equal([1], state.PendingVectors);

        var interrupt = new RecordingInterrupt();
        var restored = new VirtioPciFunction("rng", new VirtioRng(Counting), memory, interrupt);
        var pci = new PciDriver(restored);
        pci.BusMaster(true);
        pci.EnableMsix();
        pci.MaskVector(0, false);
        restored.RestoreState(state);
        Assert.Empty(interrupt.Signals);

        pci.MaskVector(1, false);

        Assert.Equal([1], interrupt.Signals);
    }

    [Fact]
    public void A_state_that_does_not_fit_is_refused_and_changes_nothing()
    {
        using GuestMemory memory = DriverRing.NewMemory();
        (_, _, _, VirtioTransportState state) = Moved(memory, eventIdx: true);

        VirtioPciFunction Fresh()
        {
            var function = new VirtioPciFunction("rng", new VirtioRng(Counting), memory, new RecordingInterrupt());
            new PciDriver(function).BusMaster(true);
            return function;
        }

        // Another device's queue count, features not offered, a queue larger than the device's,
        // a ring outside RAM, a vector the function lacks, more in flight than the queue holds.
        VirtioTransportState[] bad =
        [
            state with { Queues = [state.Queues[0], state.Queues[0]] },
            state with { DriverFeatures = state.DriverFeatures | (1UL << 40) },
            state with { Queues = [state.Queues[0] with { Size = 1024 }] },
            state with { Queues = [state.Queues[0] with { Device = 1UL << 40 }] },
            state with { ConfigVector = 7 },
            state with { PendingVectors = [5] },
            state with { Queues = [state.Queues[0] with { NextAvail = 20, NextUsed = 2 }] },
        ];
        foreach (VirtioTransportState wrong in bad)
        {
            VirtioPciFunction function = Fresh();
            Assert.Throws<ArgumentException>(() => function.RestoreState(wrong));
            Assert.Equal(VirtioStatus.None, function.Status);
            function.RestoreState(state);
            Assert.Equal((VirtioStatus)0x0f, function.Status);
        }
        // Into a transport a driver has programmed, or one not attached: refused.
        VirtioPciFunction programmed = Fresh();
        programmed.RestoreState(state);
        Assert.Throws<InvalidOperationException>(() => programmed.RestoreState(state));
        Assert.Throws<InvalidOperationException>(() => new VirtioPciFunction("rng", new VirtioRng(Counting)).RestoreState(state));
    }
}
