using Vireo.Sys;

namespace Vireo.VfioUser.Tests;

/// <summary>INTx as kernel VFIO delivers it (seed 004): a raise signals the trigger eventfd once
/// and masks the line; later raises wait, once, for the client's unmask — by message or by the
/// unmask eventfd that KVM's resample irqfd writes at the guest's EOI.</summary>
public sealed class IntxAutomaskTests
{
    private const int Timeout = 20_000;
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(5);

    [Fact(Timeout = Timeout)]
    public Task IntxInfoSaysAutomaskedAndMaskable() => Task.Run(() =>
    {
        using var pair = new Pair();
        IrqInfo intx = pair.Client.GetIrqInfo((uint)VfioIrqIndex.Intx);
        Assert.Equal(IrqInfoFlags.EventFd | IrqInfoFlags.Maskable | IrqInfoFlags.AutoMasked, intx.Flags);
        Assert.Equal(1u, intx.Count);
        // Message-signalled interrupts are edge events: never automasked.
        Assert.Equal(IrqInfoFlags.EventFd | IrqInfoFlags.Maskable | IrqInfoFlags.NoResize, pair.Client.GetIrqInfo((uint)VfioIrqIndex.Msix).Flags);
    });

    [Fact(Timeout = Timeout)]
    public Task RaiseMasksTheLineAndOnePendingRaiseFiresAtUnmask() => Task.Run(() =>
    {
        using var pair = new Pair();
        VfioUserClient c = pair.Client;
        using EventFd trigger = EventFd.Create();
        c.SetIrqEventFds(VfioIrqIndex.Intx, 0, [trigger]);
        IVfioUserDeviceHost host = pair.Device.Host;

        Assert.True(host.Interrupt(0));
        Assert.Equal(1UL, trigger.Wait(Long));
        // Masked now: further raises are kept, not signalled.
        Assert.False(host.Interrupt(0));
        Assert.False(host.Interrupt(0));
        Assert.Equal(0UL, trigger.Wait(Quiet));

        c.UnmaskIrq(VfioIrqIndex.Intx);
        // The pending raise fires exactly once (an eventfd adds up repeated signals).
        Assert.Equal(1UL, trigger.Wait(Long));
        Assert.Equal(0UL, trigger.Wait(Quiet));
        // Delivering it masked the line again.
        Assert.False(host.Interrupt(0));
        c.UnmaskIrq(VfioIrqIndex.Intx);
        Assert.Equal(1UL, trigger.Wait(Long));

        // An unmask with nothing pending signals nothing; the next raise goes straight out.
        c.UnmaskIrq(VfioIrqIndex.Intx);
        Assert.Equal(0UL, trigger.Wait(Quiet));
        Assert.True(host.Interrupt(0));
        Assert.Equal(1UL, trigger.Wait(Long));
    });

    [Fact(Timeout = Timeout)]
    public Task DataBoolUnmasksOnlyWhereTrue() => Task.Run(() =>
    {
        using var pair = new Pair();
        VfioUserClient c = pair.Client;
        using EventFd trigger = EventFd.Create();
        c.SetIrqEventFds(VfioIrqIndex.Intx, 0, [trigger]);
        IVfioUserDeviceHost host = pair.Device.Host;
        Assert.True(host.Interrupt(0));
        Assert.Equal(1UL, trigger.Wait(Long));
        Assert.False(host.Interrupt(0));

        c.IrqActionBool(VfioIrqIndex.Intx, IrqSetFlags.ActionUnmask, 0, [false]);
        Assert.Equal(0UL, trigger.Wait(Quiet));
        c.IrqActionBool(VfioIrqIndex.Intx, IrqSetFlags.ActionUnmask, 0, [true]);
        Assert.Equal(1UL, trigger.Wait(Long));
    });

    [Fact(Timeout = Timeout)]
    public Task ClientMaskHoldsRaisesUntilUnmask() => Task.Run(() =>
    {
        using var pair = new Pair();
        VfioUserClient c = pair.Client;
        using EventFd trigger = EventFd.Create();
        c.SetIrqEventFds(VfioIrqIndex.Intx, 0, [trigger]);
        c.MaskIrq(VfioIrqIndex.Intx);
        Assert.False(pair.Device.Host.Interrupt(0));
        Assert.Equal(0UL, trigger.Wait(Quiet));
        c.IrqActionBool(VfioIrqIndex.Intx, IrqSetFlags.ActionMask, 0, [true]);
        c.UnmaskIrq(VfioIrqIndex.Intx);
        Assert.Equal(1UL, trigger.Wait(Long));
    });

    [Fact(Timeout = Timeout)]
    public Task UnmaskEventFdUnmasksWithoutAMessage() => Task.Run(() =>
    {
        using var pair = new Pair();
        VfioUserClient c = pair.Client;
        using EventFd trigger = EventFd.Create();
        using EventFd unmask = EventFd.Create();
        c.SetIrqEventFds(VfioIrqIndex.Intx, 0, [trigger]);
        c.SetIrqUnmaskEventFd(VfioIrqIndex.Intx, unmask);
        IVfioUserDeviceHost host = pair.Device.Host;

        Assert.True(host.Interrupt(0));
        Assert.Equal(1UL, trigger.Wait(Long));
        Assert.False(host.Interrupt(0));
        // What KVM does at the guest's EOI on a resample irqfd.
        unmask.Signal();
        Assert.Equal(1UL, trigger.Wait(Long));
        // Nothing is pending now: after this unmask the next raise reaches the guest (at once
        // or, if it beats the server to the unmask eventfd, when the server gets there).
        unmask.Signal();
        host.Interrupt(0);
        Assert.Equal(1UL, trigger.Wait(Long));
        Assert.Equal(0UL, trigger.Wait(Quiet));

        // De-assigned (no fd): signalling the old eventfd no longer unmasks.
        Assert.False(host.Interrupt(0));
        c.SetIrqUnmaskEventFd(VfioIrqIndex.Intx, null);
        unmask.Signal();
        Assert.Equal(0UL, trigger.Wait(Quiet));
        c.UnmaskIrq(VfioIrqIndex.Intx);
        Assert.Equal(1UL, trigger.Wait(Long));
    });

    [Fact(Timeout = Timeout)]
    public Task ABlockingUnmaskEventFdIsMadeNonBlockingSoTheServerCannotStallOnIt() => Task.Run(() =>
    {
        using var pair = new Pair();
        using EventFd trigger = EventFd.Create();
        using EventFd unmask = EventFd.Create(nonBlocking: false);
        pair.Client.SetIrqEventFds(VfioIrqIndex.Intx, 0, [trigger]);
        Assert.False(FileDescriptor.IsNonBlocking(unmask.Handle));
        pair.Client.SetIrqUnmaskEventFd(VfioIrqIndex.Intx, unmask);
        // O_NONBLOCK is the open file's, so the server's setting shows on the client's copy.
        Assert.True(FileDescriptor.IsNonBlocking(unmask.Handle));
        Assert.True(pair.Device.Host.Interrupt(0));
        Assert.Equal(1UL, trigger.Wait(Long));
        Assert.False(pair.Device.Host.Interrupt(0));
        unmask.Signal();
        Assert.Equal(1UL, trigger.Wait(Long));
    });

    [Fact(Timeout = Timeout)]
    public Task DisablingIntxDropsTheUnmaskEventFd() => Task.Run(() =>
    {
        using var pair = new Pair();
        VfioUserClient c = pair.Client;
        using EventFd trigger = EventFd.Create();
        using EventFd unmask = EventFd.Create();
        c.SetIrqEventFds(VfioIrqIndex.Intx, 0, [trigger]);
        c.SetIrqUnmaskEventFd(VfioIrqIndex.Intx, unmask);
        c.DisableIrqs(VfioIrqIndex.Intx);
        c.SetIrqEventFds(VfioIrqIndex.Intx, 0, [trigger]);
        Assert.True(pair.Device.Host.Interrupt(0));
        Assert.Equal(1UL, trigger.Wait(Long));
        Assert.False(pair.Device.Host.Interrupt(0));
        unmask.Signal();
        Assert.Equal(0UL, trigger.Wait(Quiet));
    });

    public static TheoryData<string, uint, uint, uint, int> BadUnmaskEventFds => new()
    {
        // name, flags, index, start/count packed as start, fds
        { "unmask eventfd on MSI-X", (uint)(IrqSetFlags.DataEventFd | IrqSetFlags.ActionUnmask), (uint)VfioIrqIndex.Msix, 0, 1 },
        { "unmask eventfd on MSI", (uint)(IrqSetFlags.DataEventFd | IrqSetFlags.ActionUnmask), (uint)VfioIrqIndex.Msi, 0, 1 },
        { "unmask eventfd count 1 with 2 fds", (uint)(IrqSetFlags.DataEventFd | IrqSetFlags.ActionUnmask), 0, 0, 2 },
        { "mask eventfd", (uint)(IrqSetFlags.DataEventFd | IrqSetFlags.ActionMask), 0, 0, 1 },
        { "unmask eventfd at vector 1", (uint)(IrqSetFlags.DataEventFd | IrqSetFlags.ActionUnmask), 0, 1, 1 },
        { "unmask eventfd on ERR", (uint)(IrqSetFlags.DataEventFd | IrqSetFlags.ActionUnmask), (uint)VfioIrqIndex.Err, 0, 1 },
    };

    [Theory(Timeout = Timeout)]
    [MemberData(nameof(BadUnmaskEventFds))]
    public Task BadUnmaskEventFdGetsEinvalAndTheServerGoesOn(string name, uint flags, uint index, uint start, int fdCount) => Task.Run(() =>
    {
        using var peer = new RawPeer();
        EventFd[] eventFds = Enumerable.Range(0, fdCount).Select(_ => EventFd.Create()).ToArray();
        try
        {
            byte[] payload = RawPeer.Encode(new IrqSet((IrqSetFlags)flags, index, start, 1, ReadOnlyMemory<byte>.Empty));
            peer.Send(RawPeer.Message(3, VfioUserCommand.DeviceSetIrqs, payload), eventFds.Select(e => e.Handle).ToArray());
            MessageHeader reply = peer.ReadReply();
            Assert.True(reply.IsError, name);
            Assert.Equal((uint)Errno.EINVAL, reply.Error);
            Assert.True(peer.StillServes(), name);
        }
        finally
        {
            foreach (EventFd e in eventFds)
            {
                e.Dispose();
            }
        }
    });

    [Fact(Timeout = Timeout)]
    public Task AnUnmaskFdThatIsNoEventFdIsDroppedNotSpunOn() => Task.Run(() =>
    {
        using var pair = new Pair();
        VfioUserClient c = pair.Client;
        using EventFd trigger = EventFd.Create();
        c.SetIrqEventFds(VfioIrqIndex.Intx, 0, [trigger]);
        // An empty memfd polls readable forever and reads nothing.
        using (SafeFd memfd = MemFd.Create("not-an-eventfd", 0))
        {
            c.Request(VfioUserCommand.DeviceSetIrqs, new IrqSet(IrqSetFlags.DataEventFd | IrqSetFlags.ActionUnmask, 0, 0, 1, ReadOnlyMemory<byte>.Empty), [memfd]).Dispose();
        }
        Assert.True(pair.Device.Host.Interrupt(0));
        Assert.Equal(1UL, trigger.Wait(Long));
        // Still served, and the bogus descriptor did not unmask the line.
        Assert.Equal(0x10f01af4u, c.ReadRegionU32(VfioRegionIndex.Config, 0));
        Assert.False(pair.Device.Host.Interrupt(0));
        Assert.Equal(0UL, trigger.Wait(Quiet));
        // A real unmask eventfd works after it.
        using EventFd unmask = EventFd.Create();
        c.SetIrqUnmaskEventFd(VfioIrqIndex.Intx, unmask);
        unmask.Signal();
        Assert.Equal(1UL, trigger.Wait(Long));
    });

    [Fact(Timeout = Timeout)]
    public Task ALevelSourceHeldHighSignalsExactlyOncePerUnmask() => Task.Run(() =>
    {
        using var pair = new Pair();
        VfioUserClient c = pair.Client;
        using EventFd trigger = EventFd.Create();
        using EventFd unmask = EventFd.Create();
        c.SetIrqEventFds(VfioIrqIndex.Intx, 0, [trigger]);
        c.SetIrqUnmaskEventFd(VfioIrqIndex.Intx, unmask);
        IVfioUserDeviceHost host = pair.Device.Host;

        pair.Device.SetIntx(true);
        Assert.Equal(1UL, trigger.Wait(Long));
        // Held high and masked: nothing more, however long the guest takes.
        Assert.Equal(0UL, trigger.Wait(Quiet));
        for (int eoi = 0; eoi < 3; eoi++)
        {
            // What KVM's resample irqfd does at each EOI while the device still holds the line.
            unmask.Signal();
            Assert.Equal(1UL, trigger.Wait(Long));
            Assert.Equal(0UL, trigger.Wait(Quiet));
        }
        // The same by message.
        c.UnmaskIrq(VfioIrqIndex.Intx);
        Assert.Equal(1UL, trigger.Wait(Long));
        Assert.Equal(0UL, trigger.Wait(Quiet));

        // Deasserted (the driver acknowledged the device): the next EOI signals nothing.
        pair.Device.SetIntx(false);
        unmask.Signal();
        c.UnmaskIrq(VfioIrqIndex.Intx);
        Assert.Equal(0UL, trigger.Wait(Quiet));
        // The line is unmasked now, so the next assertion goes straight out, once.
        pair.Device.SetIntx(true);
        Assert.Equal(1UL, trigger.Wait(Long));
        Assert.Equal(0UL, trigger.Wait(Quiet));
    });

    [Fact(Timeout = Timeout)]
    public Task ALevelHeldWhileTheGuestDisablesIntxFiresOnceWhenItEnablesIt() => Task.Run(() =>
    {
        using var pair = new Pair();
        VfioUserClient c = pair.Client;
        using EventFd trigger = EventFd.Create();
        c.SetIrqEventFds(VfioIrqIndex.Intx, 0, [trigger]);
        // Command register, Interrupt Disable (PCI 3.0 §6.2.2, bit 10).
        c.WriteRegion(VfioRegionIndex.Config, 4, [0, 0x04]);
        pair.Device.SetIntx(true);
        Assert.Equal(0UL, trigger.Wait(Quiet));
        c.WriteRegion(VfioRegionIndex.Config, 4, [0, 0]);
        Assert.Equal(1UL, trigger.Wait(Long));
        Assert.Equal(0UL, trigger.Wait(Quiet));
    });

    [Fact(Timeout = Timeout)]
    public Task ALevelAssertedBeforeTheClientWiresIntxFiresOnceItDoes() => Task.Run(() =>
    {
        using var pair = new Pair();
        pair.Device.SetIntx(true);
        using EventFd trigger = EventFd.Create();
        pair.Client.SetIrqEventFds(VfioIrqIndex.Intx, 0, [trigger]);
        Assert.Equal(1UL, trigger.Wait(Long));
        Assert.Equal(0UL, trigger.Wait(Quiet));
    });

    [Fact(Timeout = Timeout)]
    public Task DeviceResetDeassertsTheLine() => Task.Run(() =>
    {
        using var pair = new Pair();
        VfioUserClient c = pair.Client;
        using EventFd trigger = EventFd.Create();
        c.SetIrqEventFds(VfioIrqIndex.Intx, 0, [trigger]);
        pair.Device.SetIntx(true);
        Assert.Equal(1UL, trigger.Wait(Long));
        c.Reset();
        c.UnmaskIrq(VfioIrqIndex.Intx);
        Assert.Equal(0UL, trigger.Wait(Quiet));
    });
}
