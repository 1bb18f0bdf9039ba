namespace Vireo.Sdei.Tests;

public sealed class CallTests
{
    private const SdeiReturnCode Ok = SdeiReturnCode.Success;
    private const SdeiReturnCode Inval = SdeiReturnCode.InvalidParameters;
    private const SdeiReturnCode Denied = SdeiReturnCode.Denied;

    [Fact]
    public void VersionIsSdei11WithZeroedResults()
    {
        var rig = new Rig();
        SdeiCallResult r = rig.Call(0, SdeiFunction.Version, 7, 7, 7);
        Assert.Equal(new SdeiCallResult(true, 0x0001_0001_0000_0000, 0, 0, 0, false), r);
        Assert.Equal([0x0001_0001_0000_0000UL, 0, 0, 0], rig.Vcpus[0].X[..4]);
        Assert.Equal((1UL << 32) + 0x400, rig.Vcpus[0].X[4]); // x4 onwards untouched
    }

    [Theory]
    [InlineData(0x8400_0020u)] // SMC32 form of VERSION: SDEI defines SMC64 only
    [InlineData(0xC400_0033u)]
    [InlineData(0xC400_003Fu)]
    [InlineData(0x8400_0000u)] // PSCI_VERSION: not ours
    public void UnknownFunctionsAreNotSupported(uint fid)
    {
        var rig = new Rig();
        SdeiCallResult r = rig.Dispatcher.Call(0, new SmcccCall(fid), rig.Vcpus[0]);
        Assert.Equal(ulong.MaxValue, r.X0);
        Assert.Equal(SdeiReturnCode.NotSupported, r.Code);
    }

    [Fact]
    public void FeaturesReportBindSlotsAndNoRelativeMode()
    {
        var rig = new Rig();
        rig.Binder!.FreeSlots = (3, 70000);
        Assert.Equal(0x0003_FFFFUL, rig.Value(0, SdeiFunction.Features, 0));
        Assert.Equal(0UL, rig.Value(0, SdeiFunction.Features, 1));
        rig.Expect(Inval, 0, SdeiFunction.Features, 2);
        rig.Expect(Inval, 0, SdeiFunction.Features, 1UL << 32);
        Assert.Equal(0UL, new Rig(binder: false).Value(0, SdeiFunction.Features, 0));
    }

    [Theory]
    [InlineData(0x999u, Rig.Entry, 0ul, 0ul)] // unknown event
    [InlineData(0x1_0000_0000ul, Rig.Entry, 0ul, 0ul)] // event number with upper bits
    [InlineData(0ul, 0ul, 0ul, 0ul)] // null entry point
    [InlineData(0ul, Rig.Entry + 2, 0ul, 0ul)] // misaligned entry point
    [InlineData(0ul, Rig.Entry, 2ul, 0ul)] // relative mode (1.1) not offered
    [InlineData(0ul, Rig.Entry, 0x20ul, 0ul)] // reserved flag bits
    [InlineData(Rig.SharedNormal, Rig.Entry, 1ul, 0x55ul)] // RM_PE to an affinity no vCPU has
    public void RegisterRejectsBadArguments(ulong ev, ulong entry, ulong flags, ulong affinity)
    {
        var rig = new Rig();
        rig.Expect(Inval, 0, SdeiFunction.EventRegister, ev, entry, 1, flags, affinity);
        if (ev <= uint.MaxValue && ev is 0 or Rig.SharedNormal)
        {
            Assert.Equal(0UL, rig.Value(0, SdeiFunction.EventStatus, ev));
        }
    }

    [Fact]
    public void RegisterTwiceIsDeniedAndPrivateAffinityIsIgnored()
    {
        var rig = new Rig();
        rig.Expect(Ok, 0, SdeiFunction.EventRegister, 0, Rig.Entry, 1, 1, 0xDEAD); // private: affinity ignored
        rig.Expect(Denied, 0, SdeiFunction.EventRegister, 0, Rig.Entry, 1);
        rig.Expect(Ok, 1, SdeiFunction.EventRegister, 0, Rig.Entry, 1); // another PE's own instance
        rig.Expect(Ok, 0, SdeiFunction.EventRegister, Rig.SharedNormal, Rig.Entry, 1, 1, rig.Mpidrs[2]);
        rig.Expect(Denied, 1, SdeiFunction.EventRegister, Rig.SharedNormal, Rig.Entry, 1); // one shared instance
        Assert.Equal(1UL, rig.Value(1, SdeiFunction.EventStatus, Rig.SharedNormal));
    }

    [Fact]
    public void EnableDisableFollowTheStateTable()
    {
        var rig = new Rig();
        rig.Expect(Inval, 0, SdeiFunction.EventEnable, 0x999);
        rig.Expect(Inval, 0, SdeiFunction.EventDisable, 0x999);
        rig.Expect(Denied, 0, SdeiFunction.EventEnable, 0);
        rig.Expect(Denied, 0, SdeiFunction.EventDisable, 0);
        rig.Expect(Ok, 0, SdeiFunction.EventRegister, 0, Rig.Entry, 1);
        Assert.Equal(1UL, rig.Value(0, SdeiFunction.EventStatus, 0));
        rig.Expect(Ok, 0, SdeiFunction.EventEnable, 0);
        rig.Expect(Ok, 0, SdeiFunction.EventEnable, 0); // NOP
        Assert.Equal(3UL, rig.Value(0, SdeiFunction.EventStatus, 0));
        Assert.Equal(0UL, rig.Value(1, SdeiFunction.EventStatus, 0)); // private: vCPU 1's instance untouched
        rig.Expect(Ok, 0, SdeiFunction.EventDisable, 0);
        rig.Expect(Ok, 0, SdeiFunction.EventDisable, 0);
        Assert.Equal(1UL, rig.Value(0, SdeiFunction.EventStatus, 0));
        rig.Expect(Ok, 0, SdeiFunction.EventUnregister, 0);
        Assert.Equal(0UL, rig.Value(0, SdeiFunction.EventStatus, 0));
        rig.Expect(Denied, 0, SdeiFunction.EventUnregister, 0);
        rig.Expect(Inval, 0, SdeiFunction.EventUnregister, 0x999);
        rig.Expect(Inval, 0, SdeiFunction.EventStatus, 0x999);
    }

    [Fact]
    public void GetInfoAnswersEveryInfoAndError()
    {
        var rig = new Rig();
        Assert.Equal(0UL, rig.Value(0, SdeiFunction.EventGetInfo, 0, 0)); // private
        Assert.Equal(1UL, rig.Value(0, SdeiFunction.EventGetInfo, 0, 1)); // signalable
        Assert.Equal(0UL, rig.Value(0, SdeiFunction.EventGetInfo, 0, 2)); // normal
        Assert.Equal(1UL, rig.Value(0, SdeiFunction.EventGetInfo, Rig.SharedCritical, 0));
        Assert.Equal(0UL, rig.Value(0, SdeiFunction.EventGetInfo, Rig.SharedCritical, 1));
        Assert.Equal(1UL, rig.Value(0, SdeiFunction.EventGetInfo, Rig.PrivateCritical, 2));
        rig.Expect(Inval, 0, SdeiFunction.EventGetInfo, 0, 3); // routing of a private event
        rig.Expect(Inval, 0, SdeiFunction.EventGetInfo, 0, 4);
        rig.Expect(Denied, 0, SdeiFunction.EventGetInfo, Rig.SharedNormal, 3); // not registered
        rig.Expect(Denied, 0, SdeiFunction.EventGetInfo, Rig.SharedNormal, 4);
        rig.Expect(Inval, 0, SdeiFunction.EventGetInfo, Rig.SharedNormal, 5);
        rig.Expect(Inval, 0, SdeiFunction.EventGetInfo, 0x999, 0);
        rig.Expect(Ok, 0, SdeiFunction.EventRegister, Rig.SharedNormal, Rig.Entry, 1, 0, 0);
        Assert.Equal(0UL, rig.Value(0, SdeiFunction.EventGetInfo, Rig.SharedNormal, 3));
        rig.Expect(Inval, 0, SdeiFunction.EventGetInfo, Rig.SharedNormal, 4); // RM_ANY has no affinity
        rig.Expect(Ok, 0, SdeiFunction.EventRoutingSet, Rig.SharedNormal, 1, rig.Mpidrs[2] | 0x4000_0000); // U bit ignored
        Assert.Equal(1UL, rig.Value(0, SdeiFunction.EventGetInfo, Rig.SharedNormal, 3));
        Assert.Equal(rig.Mpidrs[2] & SdeiDispatcher.MpidrAffinityMask, rig.Value(0, SdeiFunction.EventGetInfo, Rig.SharedNormal, 4));
    }

    [Fact]
    public void RoutingSetOnlyForRegisteredDisabledIdleSharedEvents()
    {
        var rig = new Rig();
        rig.Expect(Inval, 0, SdeiFunction.EventRoutingSet, 0, 0, 0); // private
        rig.Expect(Inval, 0, SdeiFunction.EventRoutingSet, 0x999, 0, 0);
        rig.Expect(Denied, 0, SdeiFunction.EventRoutingSet, Rig.SharedNormal, 0, 0); // unregistered
        rig.Expect(Ok, 0, SdeiFunction.EventRegister, Rig.SharedNormal, Rig.Entry, 1);
        rig.Expect(Inval, 0, SdeiFunction.EventRoutingSet, Rig.SharedNormal, 2, 0);
        rig.Expect(Inval, 0, SdeiFunction.EventRoutingSet, Rig.SharedNormal, 1, 0x77);
        rig.Expect(Ok, 0, SdeiFunction.EventEnable, Rig.SharedNormal);
        rig.Expect(Denied, 0, SdeiFunction.EventRoutingSet, Rig.SharedNormal, 1, rig.Mpidrs[1]);
        rig.Expect(Ok, 0, SdeiFunction.EventDisable, Rig.SharedNormal);
        rig.Expect(Ok, 0, SdeiFunction.EventRoutingSet, Rig.SharedNormal, 1, rig.Mpidrs[1]);
    }

    [Fact]
    public void PeMaskReportsWhetherItChangedAnything()
    {
        var rig = new Rig();
        Assert.Equal(0UL, rig.Value(0, SdeiFunction.PeMask)); // PEs start masked
        rig.Unmask(0);
        rig.Unmask(0);
        Assert.Equal(1UL, rig.Value(0, SdeiFunction.PeMask));
        Assert.Equal(0UL, rig.Value(0, SdeiFunction.PeMask));
    }

    [Fact]
    public void ContextAndCompleteOutsideAHandlerAreDenied()
    {
        var rig = new Rig();
        rig.Expect(Inval, 0, SdeiFunction.EventContext, 18);
        rig.Expect(Denied, 0, SdeiFunction.EventContext, 0);
        rig.Expect(Denied, 0, SdeiFunction.EventComplete, 0);
        rig.Expect(Denied, 0, SdeiFunction.EventCompleteAndResume, Rig.Entry);
    }

    [Fact]
    public void EventSignalRaisesEventZeroOnTheTargetOnly()
    {
        var rig = new Rig();
        rig.Expect(Inval, 0, SdeiFunction.EventSignal, 1, rig.Mpidrs[1]);
        rig.Expect(Inval, 0, SdeiFunction.EventSignal, 0, 0x77);
        rig.Expect(Ok, 0, SdeiFunction.EventSignal, 0, rig.Mpidrs[1]); // not registered there: dropped
        rig.Arm(1, 0);
        rig.Unmask(1);
        Assert.False(rig.Dispatcher.Deliver(1, rig.Vcpus[1]));
        rig.Host.Requests.Clear();
        rig.Expect(Ok, 0, SdeiFunction.EventSignal, 0, rig.Mpidrs[1]);
        Assert.Equal([1], rig.Host.Requests);
        Assert.True(rig.Dispatcher.Deliver(1, rig.Vcpus[1]));
        Assert.Equal(0UL, rig.Vcpus[1].X[0]);
        Assert.Equal(Rig.EntryOf(0), rig.Vcpus[1].Pc);
    }

    [Fact]
    public void SelfSignalIsDeliveredOnTheWayOutOfTheCall()
    {
        var rig = new Rig();
        rig.Arm(0, 0);
        rig.Unmask(0);
        ulong pc = rig.Vcpus[0].Pc;
        SdeiCallResult r = rig.Call(0, SdeiFunction.EventSignal, 0, rig.Mpidrs[0]);
        Assert.True(r.Returned);
        Assert.True(r.Delivered);
        Assert.Equal(Rig.EntryOf(0), rig.Vcpus[0].Pc);
        Assert.Equal(pc, rig.Vcpus[0].X[2]);
        Assert.Equal(0UL, rig.Value(0, SdeiFunction.EventContext, 0)); // the call's own SUCCESS was interrupted
    }

    [Fact]
    public void PrivateResetUnregistersThisPeOnly()
    {
        var rig = new Rig();
        rig.Arm(0, 0);
        rig.Arm(0, Rig.PrivateNormal);
        rig.Arm(1, 0);
        rig.Expect(Ok, 0, SdeiFunction.PrivateReset);
        Assert.Equal(0UL, rig.Value(0, SdeiFunction.EventStatus, 0));
        Assert.Equal(0UL, rig.Value(0, SdeiFunction.EventStatus, Rig.PrivateNormal));
        Assert.Equal(3UL, rig.Value(1, SdeiFunction.EventStatus, 0));
    }

    [Fact]
    public void PrivateResetWithARunningHandlerIsDeniedButUnregisters()
    {
        var rig = new Rig();
        rig.Arm(0, 0);
        rig.Unmask(0);
        Assert.True(rig.Call(0, SdeiFunction.EventSignal, 0, rig.Mpidrs[0]).Delivered);
        rig.Expect(Denied, 0, SdeiFunction.PrivateReset);
        Assert.Equal(4UL, rig.Value(0, SdeiFunction.EventStatus, 0)); // handler-unregister-pending
        Assert.False(rig.Call(0, SdeiFunction.EventComplete).Returned);
        Assert.Equal(0UL, rig.Value(0, SdeiFunction.EventStatus, 0));
    }

    [Fact]
    public void SharedResetUnregistersSharedEventsAndReleasesBindings()
    {
        var rig = new Rig();
        rig.Arm(0, Rig.SharedNormal);
        ulong ev = rig.Value(0, SdeiFunction.InterruptBind, 40);
        rig.Expect(Ok, 1, SdeiFunction.SharedReset);
        Assert.Equal(0UL, rig.Value(0, SdeiFunction.EventStatus, Rig.SharedNormal));
        Assert.Equal([40u], rig.Binder!.Released);
        rig.Expect(Inval, 0, SdeiFunction.EventStatus, ev);
    }

    [Fact]
    public void SharedResetIsDeniedWhileABoundPrivateEventIsRegistered()
    {
        var rig = new Rig();
        ulong ev = rig.Value(0, SdeiFunction.InterruptBind, 20);
        Assert.Equal(SdeiDispatcher.DynamicEventBase + 20, ev);
        rig.Expect(Ok, 2, SdeiFunction.EventRegister, ev, Rig.Entry, 0);
        rig.Expect(Denied, 0, SdeiFunction.SharedReset);
        Assert.Empty(rig.Binder!.Released);
    }

    [Fact]
    public void SharedResetWithARunningSharedHandlerIsDenied()
    {
        var rig = new Rig();
        rig.Arm(0, Rig.SharedNormal);
        rig.Unmask(1);
        Assert.Equal(SdeiReturnCode.Success, rig.Dispatcher.Signal(Rig.SharedNormal));
        Assert.True(rig.Dispatcher.Deliver(1, rig.Vcpus[1]));
        rig.Expect(Denied, 0, SdeiFunction.SharedReset);
        Assert.Equal(4UL, rig.Value(0, SdeiFunction.EventStatus, Rig.SharedNormal));
    }

    [Theory]
    [InlineData(5u, SdeiReturnCode.InvalidParameters)] // SGI
    [InlineData(1020u, SdeiReturnCode.InvalidParameters)]
    [InlineData(0x1_0000_0000ul, SdeiReturnCode.InvalidParameters)]
    [InlineData(50u, SdeiReturnCode.Denied)] // busy
    [InlineData(60u, SdeiReturnCode.OutOfResource)]
    public void InterruptBindErrors(ulong intid, SdeiReturnCode code)
    {
        var rig = new Rig();
        rig.Binder!.Busy.Add(50);
        if (intid == 60)
        {
            rig.Binder.Full = true;
        }

        rig.Expect(code, 0, SdeiFunction.InterruptBind, intid);
        Assert.Empty(rig.Binder.Bound);
    }

    [Fact]
    public void InterruptBindWithoutBinderIsInvalid()
    {
        new Rig(binder: false).Expect(SdeiReturnCode.InvalidParameters, 0, SdeiFunction.InterruptBind, 40);
    }

    [Fact]
    public void BoundEventsLiveUntilReleased()
    {
        var rig = new Rig();
        ulong ev = rig.Value(0, SdeiFunction.InterruptBind, 40);
        Assert.Equal(ev, rig.Value(1, SdeiFunction.InterruptBind, 40)); // same interrupt, same event
        Assert.Equal(1UL, rig.Value(0, SdeiFunction.EventGetInfo, ev, 0)); // SPI: shared
        Assert.Equal(0UL, rig.Value(0, SdeiFunction.EventGetInfo, ev, 2));
        rig.Expect(SdeiReturnCode.InvalidParameters, 0, SdeiFunction.InterruptRelease, 0); // not bound
        rig.Arm(0, (uint)ev);
        rig.Expect(SdeiReturnCode.Denied, 0, SdeiFunction.InterruptRelease, ev);
        rig.Unmask(2);
        Assert.Equal(SdeiReturnCode.Success, rig.Dispatcher.SignalInterrupt(40));
        Assert.Equal(SdeiReturnCode.InvalidParameters, rig.Dispatcher.SignalInterrupt(41));
        Assert.True(rig.Dispatcher.Deliver(2, rig.Vcpus[2]));
        Assert.Equal(ev, rig.Vcpus[2].X[0]);
        Assert.False(rig.Call(2, SdeiFunction.EventComplete).Returned);
        rig.Expect(SdeiReturnCode.Success, 0, SdeiFunction.EventUnregister, ev);
        rig.Expect(SdeiReturnCode.Success, 0, SdeiFunction.InterruptRelease, ev);
        Assert.Equal([40u], rig.Binder!.Released);
        rig.Expect(SdeiReturnCode.InvalidParameters, 0, SdeiFunction.EventStatus, ev);
    }

    [Fact]
    public void EveryHostSignalIsReportedWithItsSourceAndResult()
    {
        var rig = new Rig();
        var seen = new List<SdeiSignal>();
        rig.Dispatcher.Signalled += seen.Add;
        ulong bound = rig.Value(0, SdeiFunction.InterruptBind, 40);
        rig.Arm(0, (uint)bound);
        rig.Arm(1, 0);

        rig.Dispatcher.Signal(0, 1, "api");
        rig.Dispatcher.Signal(0, 2, "api");
        rig.Dispatcher.Signal(0x999, null, "ras");
        rig.Dispatcher.SignalInterrupt(40);
        // An interrupt that is not bound never reaches Signal: nothing to report.
        rig.Dispatcher.SignalInterrupt(41);

        Assert.Equal(
            [
                new SdeiSignal(0, 1, "api", SdeiReturnCode.Success),
                new SdeiSignal(0, 2, "api", SdeiReturnCode.Denied),
                new SdeiSignal(0x999, null, "ras", SdeiReturnCode.InvalidParameters),
                new SdeiSignal((uint)bound, null, "interrupt 40", SdeiReturnCode.Success),
            ],
            seen);
    }

    /// <summary>A guest storming a bound line: the edges land on one pending latch and only a
    /// change is reported, so vm.events is not flooded (one report while the event stays pending,
    /// one for the first drop at an unregistered bound event, none for the drops after it).</summary>
    [Fact]
    public void A_storm_on_a_bound_line_is_reported_once_per_change_not_once_per_edge()
    {
        var rig = new Rig();
        var seen = new List<SdeiSignal>();
        rig.Dispatcher.Signalled += seen.Add;
        ulong registered = rig.Value(0, SdeiFunction.InterruptBind, 40);
        rig.Arm(0, (uint)registered);
        ulong unregistered = rig.Value(0, SdeiFunction.InterruptBind, 41);

        for (int i = 0; i < 1000; i++)
        {
            Assert.Equal(SdeiReturnCode.Success, rig.Dispatcher.SignalInterrupt(40));
            Assert.Equal(SdeiReturnCode.Denied, rig.Dispatcher.SignalInterrupt(41));
        }

        Assert.Equal(
            [
                new SdeiSignal((uint)registered, null, "interrupt 40", SdeiReturnCode.Success),
                new SdeiSignal((uint)unregistered, null, "interrupt 41", SdeiReturnCode.Denied),
            ],
            seen);
    }

    [Fact]
    public void HostSignalChecksItsArguments()
    {
        var rig = new Rig();
        Assert.Equal(SdeiReturnCode.InvalidParameters, rig.Dispatcher.Signal(0x999));
        Assert.Equal(SdeiReturnCode.InvalidParameters, rig.Dispatcher.Signal(0, 3));
        Assert.Equal(SdeiReturnCode.InvalidParameters, rig.Dispatcher.Signal(Rig.SharedNormal, 0));
        Assert.Equal(SdeiReturnCode.Denied, rig.Dispatcher.Signal(0, 1));
        Assert.Equal(SdeiReturnCode.Denied, rig.Dispatcher.Signal(Rig.SharedNormal));
        rig.Arm(2, 0);
        Assert.Equal(SdeiReturnCode.Success, rig.Dispatcher.Signal(0)); // broadcast: taken by vCPU 2
        Assert.Empty(rig.Host.Requests); // vCPU 2 is masked
    }

    [Fact]
    public void ConstructorRejectsBadTables()
    {
        var host = new FakeHost();
        ulong[] mpidrs = [SdeiDispatcher.KvmDefaultMpidr(0)];
        Assert.Throws<ArgumentException>(() => new SdeiDispatcher([new(0, SdeiEventType.Shared, SdeiPriority.Normal)], mpidrs, host));
        Assert.Throws<ArgumentException>(() => new SdeiDispatcher([new(5, SdeiEventType.Private, SdeiPriority.Normal), new(5, SdeiEventType.Shared, SdeiPriority.Normal)], mpidrs, host));
        Assert.Throws<ArgumentException>(() => new SdeiDispatcher([new(5, SdeiEventType.Private, SdeiPriority.Normal, Signalable: true)], mpidrs, host));
        Assert.Throws<ArgumentException>(() => new SdeiDispatcher([new(SdeiDispatcher.DynamicEventBase + 3, SdeiEventType.Private, SdeiPriority.Normal)], mpidrs, host));
        Assert.Throws<ArgumentException>(() => new SdeiDispatcher([], [1, 1], host));
        Assert.Throws<ArgumentException>(() => new SdeiDispatcher([], [], host));
    }

    [Fact]
    public void KvmDefaultMpidrMatchesResetMpidr()
    {
        Assert.Equal(0x8000_0000UL, SdeiDispatcher.KvmDefaultMpidr(0));
        Assert.Equal(0x8000_0103UL, SdeiDispatcher.KvmDefaultMpidr(0x13));
        Assert.Equal(0x8001_0000UL, SdeiDispatcher.KvmDefaultMpidr(0x1000));
    }
}
