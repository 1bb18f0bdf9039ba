namespace Vireo.Sdei.Tests;

public sealed class DeliveryTests
{
    [Fact]
    public void HandlerIsEnteredAsTheSpecSaysAndCompleteRestoresEverything()
    {
        var rig = new Rig();
        rig.Arm(0, Rig.PrivateNormal);
        rig.Unmask(0);
        FakeVcpu before = rig.Vcpus[0].Clone();
        before.Pstate = 0x6140_0005; // DIT and PAN set in the interrupted context
        rig.Vcpus[0].Pstate = before.Pstate;
        rig.Vcpus[0].SctlrEl1 = 1UL << 23; // SPAN: PAN is kept, not forced

        Assert.Equal(SdeiReturnCode.Success, rig.Dispatcher.Signal(Rig.PrivateNormal, 0));
        Assert.Equal([0], rig.Host.Requests);
        Assert.True(rig.Dispatcher.Deliver(0, rig.Vcpus[0]));

        FakeVcpu h = rig.Vcpus[0];
        Assert.Equal([Rig.PrivateNormal, Rig.Arg + Rig.PrivateNormal, before.Pc, before.Pstate], h.X[..4]);
        Assert.Equal(before.X[4..], h.X[4..]); // x4..x17 (and above) as interrupted
        Assert.Equal(Rig.EntryOf(Rig.PrivateNormal), h.Pc);
        Assert.Equal(0x0140_03C5UL, h.Pstate); // EL1h, DAIF, PAN and DIT kept
        Assert.Equal(0xE1E1UL, h.ElrEl1); // entry does not touch ELR/SPSR
        Assert.Equal(5UL, rig.Value(0, SdeiFunction.EventStatus, Rig.PrivateNormal) & 5); // registered, running
        Assert.Equal(7UL, rig.Value(0, SdeiFunction.EventStatus, Rig.PrivateNormal));

        // EVENT_CONTEXT reads the interrupted x0..x17, whatever the handler did to its own registers.
        for (ulong i = 0; i < 18; i++)
        {
            Assert.Equal(before.X[i], rig.Value(0, SdeiFunction.EventContext, i));
        }

        SdeiCallResult done = rig.Call(0, SdeiFunction.EventComplete, 0);
        Assert.False(done.Returned);
        Assert.False(done.Delivered);
        rig.Vcpus[0].AssertEqual(before);
        Assert.Equal(3UL, rig.Value(0, SdeiFunction.EventStatus, Rig.PrivateNormal));
    }

    [Fact]
    public void EntryForcesPanWithoutSpanAndTakesSsbsFromSctlr()
    {
        Assert.Equal(0x0040_03C5UL, SdeiDispatcher.EntryPstate(0x6000_0005, 0));
        Assert.Equal(0x0000_13C5UL, SdeiDispatcher.EntryPstate(0x6000_0005, (1UL << 23) | (1UL << 44)));
        Assert.Equal(0x0000_03C5UL, SdeiDispatcher.EntryPstate(0xFFFF_FFFF & ~((1UL << 22) | (1UL << 24)), 1UL << 23));
    }

    [Fact]
    public void CompleteAndResumeLooksLikeAnExceptionTakenAtTheInterruptedPoint()
    {
        var rig = new Rig();
        rig.Arm(0, 0);
        rig.Unmask(0);
        FakeVcpu before = rig.Vcpus[0].Clone();
        Assert.Equal(SdeiReturnCode.Success, rig.Dispatcher.Signal(0, 0));
        Assert.True(rig.Dispatcher.Deliver(0, rig.Vcpus[0]));

        rig.Expect(SdeiReturnCode.Denied, 0, SdeiFunction.EventCompleteAndResume, 0x1002); // misaligned resume
        Assert.Equal(7UL, rig.Value(0, SdeiFunction.EventStatus, 0)); // still running
        SdeiCallResult r = rig.Call(0, SdeiFunction.EventCompleteAndResume, 0xFFFF_8000_0000_0480);
        Assert.False(r.Returned);

        FakeVcpu v = rig.Vcpus[0];
        Assert.Equal(before.X, v.X);
        Assert.Equal(0xFFFF_8000_0000_0480UL, v.Pc);
        Assert.Equal(0x3C5UL, v.Pstate);
        Assert.Equal(before.Pc, v.ElrEl1);
        Assert.Equal(before.Pstate, v.SpsrEl1);
        Assert.Equal(3UL, rig.Value(0, SdeiFunction.EventStatus, 0));
    }

    [Fact]
    public void CriticalPreemptsNormalAndUnwindsInOrder()
    {
        var rig = new Rig();
        rig.Arm(0, Rig.PrivateNormal);
        rig.Arm(0, Rig.PrivateCritical);
        rig.Unmask(0);
        FakeVcpu original = rig.Vcpus[0].Clone();
        rig.Dispatcher.Signal(Rig.PrivateNormal, 0);
        Assert.True(rig.Dispatcher.Deliver(0, rig.Vcpus[0]));

        // The normal handler runs a little, then the critical event arrives and preempts it.
        rig.Vcpus[0].X[7] = 0x7777;
        rig.Vcpus[0].Pc += 0x40;
        FakeVcpu inNormal = rig.Vcpus[0].Clone();
        rig.Dispatcher.Signal(Rig.PrivateCritical, 0);
        Assert.True(rig.Dispatcher.Deliver(0, rig.Vcpus[0]));
        Assert.Equal(Rig.EntryOf(Rig.PrivateCritical), rig.Vcpus[0].Pc);
        Assert.Equal(inNormal.Pc, rig.Vcpus[0].X[2]);
        Assert.Equal(0x7777UL, rig.Value(0, SdeiFunction.EventContext, 7));

        // Neither another critical nor a normal event preempts a critical handler.
        rig.Dispatcher.Signal(Rig.PrivateNormal, 0);
        Assert.False(rig.Dispatcher.HasDeliverable(0));

        Assert.False(rig.Call(0, SdeiFunction.EventComplete).Returned);
        rig.Vcpus[0].AssertEqual(inNormal);
        Assert.False(rig.Dispatcher.HasDeliverable(0)); // the normal handler still runs

        // Completing the normal handler resumes the original context and immediately takes the pending normal event.
        SdeiCallResult r = rig.Call(0, SdeiFunction.EventComplete);
        Assert.False(r.Returned);
        Assert.True(r.Delivered);
        Assert.Equal(original.Pc, rig.Vcpus[0].X[2]);
        Assert.Equal(original.X[0], rig.Value(0, SdeiFunction.EventContext, 0));
        Assert.False(rig.Call(0, SdeiFunction.EventComplete).Returned);
        rig.Vcpus[0].AssertEqual(original);
    }

    [Fact]
    public void CriticalAndNormalPendingTogetherNestAtOnce()
    {
        var rig = new Rig();
        rig.Arm(0, Rig.PrivateNormal);
        rig.Arm(0, Rig.SharedCritical, 1, rig.Mpidrs[0]);
        rig.Dispatcher.Signal(Rig.PrivateNormal, 0);
        rig.Dispatcher.Signal(Rig.SharedCritical);
        FakeVcpu original = rig.Vcpus[0].Clone();

        // Unmasking takes the critical event first; the normal one waits until the critical completes.
        SdeiCallResult r = rig.Call(0, SdeiFunction.PeUnmask);
        Assert.True(r.Delivered);
        Assert.Equal(Rig.SharedCritical, rig.Vcpus[0].X[0]);
        Assert.Equal(original.Pc, rig.Vcpus[0].X[2]);
        SdeiCallResult c = rig.Call(0, SdeiFunction.EventComplete);
        Assert.True(c.Delivered);
        Assert.Equal(Rig.PrivateNormal, rig.Vcpus[0].X[0]);
        Assert.Equal(original.Pc, rig.Vcpus[0].X[2]);
        Assert.Equal(0UL, rig.Value(0, SdeiFunction.EventContext, 0)); // PE_UNMASK's SUCCESS
    }

    [Fact]
    public void MaskedPeKeepsTheEventPendingAndTakesItOnceAfterUnmask()
    {
        var rig = new Rig();
        rig.Arm(1, 0);
        Assert.Equal(SdeiReturnCode.Success, rig.Dispatcher.Signal(0, 1));
        Assert.Equal(SdeiReturnCode.Success, rig.Dispatcher.Signal(0, 1)); // one latch: still one delivery
        Assert.Empty(rig.Host.Requests);
        Assert.False(rig.Dispatcher.Deliver(1, rig.Vcpus[1]));

        SdeiCallResult r = rig.Call(1, SdeiFunction.PeUnmask);
        Assert.True(r.Delivered);
        Assert.False(rig.Call(1, SdeiFunction.EventComplete).Returned);
        Assert.False(rig.Dispatcher.HasDeliverable(1));
        Assert.Equal(0UL, rig.Vcpus[1].X[0]);
    }

    [Fact]
    public void DisabledEventStaysPendingUntilEnabled()
    {
        var rig = new Rig();
        rig.Expect(SdeiReturnCode.Success, 0, SdeiFunction.EventRegister, 0, Rig.Entry, 9);
        rig.Unmask(0);
        rig.Dispatcher.Signal(0, 0);
        Assert.False(rig.Dispatcher.HasDeliverable(0));
        SdeiCallResult r = rig.Call(0, SdeiFunction.EventEnable, 0);
        Assert.True(r.Delivered);
        Assert.Equal(9UL, rig.Vcpus[0].X[1]);
    }

    [Fact]
    public void UnregisterFromTheHandlerIsPendingUntilComplete()
    {
        var rig = new Rig();
        rig.Arm(0, 0);
        rig.Unmask(0);
        rig.Dispatcher.Signal(0, 0);
        rig.Dispatcher.Deliver(0, rig.Vcpus[0]);
        rig.Expect(SdeiReturnCode.Pending, 0, SdeiFunction.EventUnregister, 0);
        Assert.Equal(4UL, rig.Value(0, SdeiFunction.EventStatus, 0));
        rig.Expect(SdeiReturnCode.Pending, 0, SdeiFunction.EventUnregister, 0);
        rig.Expect(SdeiReturnCode.Denied, 0, SdeiFunction.EventRegister, 0, Rig.Entry, 0);
        rig.Expect(SdeiReturnCode.Denied, 0, SdeiFunction.EventEnable, 0);
        Assert.NotEqual(ulong.MaxValue - 2, rig.Value(0, SdeiFunction.EventContext, 0)); // context still readable
        Assert.Equal(SdeiReturnCode.Denied, rig.Dispatcher.Signal(0, 0)); // nothing to remember it for
        Assert.False(rig.Call(0, SdeiFunction.EventComplete).Returned);
        Assert.Equal(0UL, rig.Value(0, SdeiFunction.EventStatus, 0));
        rig.Expect(SdeiReturnCode.Success, 0, SdeiFunction.EventRegister, 0, Rig.Entry, 0);
    }

    [Fact]
    public void SharedAnyGoesToWhicheverUnmaskedVcpuComesFirst()
    {
        var rig = new Rig();
        rig.Arm(0, Rig.SharedNormal);
        rig.Unmask(1);
        rig.Unmask(2);
        rig.Dispatcher.Signal(Rig.SharedNormal);
        Assert.Equal([1, 2], rig.Host.Requests);
        Assert.True(rig.Dispatcher.Deliver(2, rig.Vcpus[2]));
        Assert.False(rig.Dispatcher.Deliver(1, rig.Vcpus[1]));
        Assert.Equal(7UL, rig.Value(0, SdeiFunction.EventStatus, Rig.SharedNormal));

        // Only the vCPU running the handler can complete it.
        rig.Expect(SdeiReturnCode.Denied, 1, SdeiFunction.EventComplete);
        rig.Dispatcher.Signal(Rig.SharedNormal); // a running shared event is not dispatched twice
        Assert.False(rig.Dispatcher.HasDeliverable(1));
        SdeiCallResult done = rig.Call(2, SdeiFunction.EventComplete);
        Assert.False(done.Returned);
        Assert.True(done.Delivered); // the completing vCPU is eligible and takes the second signal at once
        Assert.False(rig.Dispatcher.HasDeliverable(1));
    }

    [Fact]
    public void SharedPeRoutingTargetsOneVcpu()
    {
        var rig = new Rig();
        rig.Arm(0, Rig.SharedNormal, 1, rig.Mpidrs[2]);
        rig.Unmask(0);
        rig.Unmask(1);
        rig.Unmask(2);
        rig.Host.Requests.Clear();
        rig.Dispatcher.Signal(Rig.SharedNormal);
        Assert.Equal([2], rig.Host.Requests);
        Assert.False(rig.Dispatcher.Deliver(0, rig.Vcpus[0]));
        Assert.True(rig.Dispatcher.Deliver(2, rig.Vcpus[2]));
    }

    [Fact]
    public void MaskingSteersSharedAnyToAnotherVcpu()
    {
        var rig = new Rig();
        rig.Arm(0, Rig.SharedNormal);
        rig.Unmask(0);
        Assert.Equal(1UL, rig.Value(0, SdeiFunction.PeMask));
        rig.Dispatcher.Signal(Rig.SharedNormal);
        Assert.Empty(rig.Host.Requests);
        Assert.True(rig.Call(1, SdeiFunction.PeUnmask).Delivered); // vCPU 1 takes it on the way out
        Assert.Equal(Rig.SharedNormal, rig.Vcpus[1].X[0]);
        Assert.Equal(Rig.EntryOf(Rig.SharedNormal), rig.Vcpus[1].Pc);
    }

    [Fact]
    public void KickIsRequestedOncePerDelivery()
    {
        var rig = new Rig();
        rig.Arm(1, 0);
        rig.Unmask(1);
        rig.Dispatcher.Signal(0, 1);
        rig.Dispatcher.Signal(0, 1);
        Assert.Equal([1], rig.Host.Requests);
    }

    [Fact]
    public void ResetPeDropsPrivateStateAndARunningSharedHandler()
    {
        var rig = new Rig();
        rig.Arm(1, 0);
        rig.Arm(0, Rig.SharedNormal, 1, rig.Mpidrs[1]);
        rig.Unmask(1);
        rig.Dispatcher.Signal(Rig.SharedNormal);
        Assert.True(rig.Dispatcher.Deliver(1, rig.Vcpus[1]));
        rig.Dispatcher.ResetPe(1);
        Assert.Equal(0UL, rig.Value(1, SdeiFunction.EventStatus, 0));
        Assert.Equal(3UL, rig.Value(1, SdeiFunction.EventStatus, Rig.SharedNormal));
        Assert.Equal(0UL, rig.Value(1, SdeiFunction.PeMask)); // masked again
        rig.Expect(SdeiReturnCode.Denied, 1, SdeiFunction.EventComplete);
    }

    [Fact]
    public void ResetReleasesBindingsAndUnregistersEverything()
    {
        var rig = new Rig();
        rig.Arm(0, 0);
        rig.Arm(0, Rig.SharedCritical);
        ulong ev = rig.Value(0, SdeiFunction.InterruptBind, 21);
        rig.Dispatcher.Reset();
        Assert.Equal([21u], rig.Binder!.Released);
        Assert.Equal(0UL, rig.Value(0, SdeiFunction.EventStatus, 0));
        Assert.Equal(0UL, rig.Value(0, SdeiFunction.EventStatus, Rig.SharedCritical));
        rig.Expect(SdeiReturnCode.InvalidParameters, 0, SdeiFunction.EventStatus, ev);
    }
}
