using static Vireo.Sdei.SdeiStateRegisters;

namespace Vireo.Sdei.Tests;

public sealed class StateTests
{
    [Fact]
    public void IdsAreKvmShapedFirmwarePseudoRegisters()
    {
        Assert.Equal(0x6030_0000_0F53_0100UL, Id(GroupPe, 0, FieldMasked));
        Assert.Equal(0x6030_0002_8F53_1300UL, Id(GroupBinding, 40, FieldBindingKind));
        Assert.Equal(0x6030_0000_1F53_0414UL, Id(GroupFrame, 1, FieldFramePstate));
        Assert.True(IsSdeiRegister(Id(GroupFrame, MaxItem, 0xFF)));
        Assert.False(IsSdeiRegister(0x6030_0000_0014_0000)); // KVM_REG_ARM_PSCI_VERSION
        Assert.False(IsSdeiRegister(0x6020_0000_0F53_0100)); // 32-bit size
        Assert.Throws<ArgumentOutOfRangeException>(() => Id(GroupBinding, MaxItem + 1, 0));
    }

    /// <summary>
    /// vCPU 0: a critical handler preempting a normal one. vCPU 1: masked, event 0 pending. vCPU 2: event 0 in
    /// handler-unregister-pending. Shared: one RM_PE event registered and disabled, one RM_ANY critical enabled, a
    /// bound SPI registered and enabled, a bound PPI registered on vCPU 2.
    /// </summary>
    private static Rig Busy()
    {
        var rig = new Rig();
        rig.Arm(0, Rig.PrivateNormal);
        rig.Arm(0, Rig.PrivateCritical);
        rig.Unmask(0);
        rig.Dispatcher.Signal(Rig.PrivateNormal, 0);
        Assert.True(rig.Dispatcher.Deliver(0, rig.Vcpus[0]));
        rig.Vcpus[0].X[9] = 0x9999;
        rig.Dispatcher.Signal(Rig.PrivateCritical, 0);
        Assert.True(rig.Dispatcher.Deliver(0, rig.Vcpus[0]));

        rig.Arm(1, 0);
        Assert.Equal(SdeiReturnCode.Success, rig.Dispatcher.Signal(0, 1));

        rig.Arm(2, 0);
        rig.Dispatcher.Signal(0, 2);
        Assert.True(rig.Call(2, SdeiFunction.PeUnmask).Delivered);
        rig.Expect(SdeiReturnCode.Pending, 2, SdeiFunction.EventUnregister, 0);

        rig.Expect(SdeiReturnCode.Success, 0, SdeiFunction.EventRegister, Rig.SharedNormal, Rig.Entry, 5, 1, rig.Mpidrs[1]);
        rig.Arm(1, Rig.SharedCritical);
        uint spi = (uint)rig.Value(0, SdeiFunction.InterruptBind, 40);
        rig.Arm(1, spi);
        uint ppi = (uint)rig.Value(0, SdeiFunction.InterruptBind, 20);
        rig.Expect(SdeiReturnCode.Success, 2, SdeiFunction.EventRegister, ppi, Rig.Entry + 0x40, 6);
        return rig;
    }

    private static void AssertSameState(SdeiState expected, SdeiState actual)
    {
        Assert.Equal(expected.Shared, actual.Shared);
        Assert.Equal(expected.Vcpus.Count, actual.Vcpus.Count);
        for (int v = 0; v < expected.Vcpus.Count; v++)
        {
            Assert.Equal(expected.Vcpus[v], actual.Vcpus[v]);
        }
    }

    private static Rig Migrate(Rig source)
    {
        var target = new Rig();
        target.Dispatcher.ImportState(source.Dispatcher.ExportState());
        for (int v = 0; v < source.Vcpus.Length; v++)
        {
            // The architected registers travel through KVM's own register list.
            source.Vcpus[v].X.CopyTo(target.Vcpus[v].X, 0);
            target.Vcpus[v].Pc = source.Vcpus[v].Pc;
            target.Vcpus[v].Pstate = source.Vcpus[v].Pstate;
            target.Vcpus[v].ElrEl1 = source.Vcpus[v].ElrEl1;
            target.Vcpus[v].SpsrEl1 = source.Vcpus[v].SpsrEl1;
        }

        return target;
    }

    [Fact]
    public void ExportOfABusyDispatcherHasTheDocumentedRegisters()
    {
        SdeiState s = Busy().Dispatcher.ExportState();
        Assert.Equal(new SdeiRegister(Id(GroupHeader, 0, FieldVersion), 1), s.Shared[0]);
        Assert.Equal(new SdeiRegister(Id(GroupHeader, 0, FieldListKind), ListKindShared), s.Shared[1]);
        Assert.Contains(new SdeiRegister(Id(GroupBinding, 40, FieldBindingKind), BindingShared), s.Shared);
        Assert.Contains(new SdeiRegister(Id(GroupBinding, 20, FieldBindingKind), BindingPrivate), s.Shared);
        Assert.Contains(new SdeiRegister(Id(GroupSharedEvent, 2, FieldEventFlags), FlagRegistered), s.Shared); // table index 2 = 0x200
        Assert.Contains(new SdeiRegister(Id(GroupSharedEvent, 2, FieldRoutingMode), 1), s.Shared);
        Assert.Contains(new SdeiRegister(Id(GroupSharedEvent, 2, FieldAffinity), 0x8000_0001 & SdeiDispatcher.MpidrAffinityMask), s.Shared);

        Assert.Contains(new SdeiRegister(Id(GroupPe, 0, FieldDepth), 2), s.Vcpus[0]);
        Assert.Contains(new SdeiRegister(Id(GroupFrame, 1, FieldFrameEvent), Rig.PrivateCritical), s.Vcpus[0]);
        Assert.Contains(new SdeiRegister(Id(GroupFrame, 1, FieldFrameX0 + 9), 0x9999), s.Vcpus[0]);
        Assert.Contains(new SdeiRegister(Id(GroupPe, 0, FieldMasked), 1), s.Vcpus[1]);
        Assert.Contains(new SdeiRegister(Id(GroupPrivateEvent, 0, FieldEventFlags), FlagRegistered | FlagEnabled | FlagPending), s.Vcpus[1]);
        Assert.Contains(new SdeiRegister(Id(GroupPrivateEvent, 0, FieldEventFlags), FlagRunning), s.Vcpus[2]);
        Assert.Contains(new SdeiRegister(Id(GroupBoundPrivateEvent, 20, FieldEntryPoint), Rig.Entry + 0x40), s.Vcpus[2]);
        Assert.All(s.Shared.Concat(s.Vcpus.SelectMany(l => l)), r => Assert.True(IsSdeiRegister(r.Id)));
    }

    [Fact]
    public void BusyStateRestoresIntoAFreshDispatcherAndContinuesExactly()
    {
        Rig source = Busy();
        Rig target = Migrate(source);
        AssertSameState(source.Dispatcher.ExportState(), target.Dispatcher.ExportState());
        Assert.Equal([20u, 40u], target.Binder!.Bound.Order());

        // Drive both the same way; every result and every register must agree.
        foreach (Rig rig in new[] { source, target })
        {
            rig.Host.Requests.Clear();
        }

        void Both(int vcpu, SdeiFunction fn, ulong x1 = 0)
        {
            SdeiCallResult a = source.Call(vcpu, fn, x1);
            SdeiCallResult b = target.Call(vcpu, fn, x1);
            Assert.Equal(a, b);
            target.Vcpus[vcpu].AssertEqual(source.Vcpus[vcpu]);
        }

        // The event pending on the masked vCPU 1 is delivered exactly once after unmask.
        Assert.False(target.Dispatcher.HasDeliverable(1));
        SdeiCallResult unmask = target.Call(1, SdeiFunction.PeUnmask);
        Assert.True(unmask.Delivered);
        Assert.True(source.Call(1, SdeiFunction.PeUnmask).Delivered);
        target.Vcpus[1].AssertEqual(source.Vcpus[1]);
        Assert.Equal(0UL, target.Vcpus[1].X[0]);
        Both(1, SdeiFunction.EventComplete);
        Assert.False(target.Dispatcher.HasDeliverable(1));
        Assert.False(target.Dispatcher.Deliver(1, target.Vcpus[1]));

        // vCPU 0 unwinds critical, then normal; vCPU 2 completes its unregister-pending handler.
        Both(0, SdeiFunction.EventContext, 9);
        Both(0, SdeiFunction.EventComplete);
        Both(0, SdeiFunction.EventComplete);
        Both(2, SdeiFunction.EventComplete);
        Both(2, SdeiFunction.EventStatus, 0);
        Assert.Equal(0UL, target.Vcpus[2].X[0]);

        // Shared state came along: routing, the bound SPI, and its delivery.
        Both(0, SdeiFunction.EventGetInfo, Rig.SharedNormal);
        Assert.Equal(SdeiReturnCode.Success, target.Dispatcher.SignalInterrupt(40));
        Assert.True(target.Dispatcher.Deliver(1, target.Vcpus[1]));
        Assert.Equal(SdeiDispatcher.DynamicEventBase + 40, target.Vcpus[1].X[0]);
        AssertSameState(target.Dispatcher.ExportState(), Migrate(target).Dispatcher.ExportState());
    }

    private static SdeiState Replace(SdeiState s, int list, ulong id, ulong value)
    {
        IReadOnlyList<SdeiRegister> Map(IReadOnlyList<SdeiRegister> l) => l.Select(r => r.Id == id ? r with { Value = value } : r).ToArray();
        return list < 0 ? s with { Shared = Map(s.Shared) } : s with { Vcpus = s.Vcpus.Select((l, i) => i == list ? Map(l) : l).ToArray() };
    }

    public static TheoryData<string> Corruptions => new()
    {
        "version", "kind", "masked", "depth3", "flags-enabled-unregistered", "flags-unknown-bit", "entry-misaligned",
        "running-without-frame", "frame-not-running", "table-mismatch", "routing-bad", "affinity-nobody", "handler-vcpu",
        "binding-kind", "missing", "duplicate", "unknown-id", "foreign-id", "vcpu-count", "frame-priorities",
    };

    [Theory]
    [MemberData(nameof(Corruptions))]
    public void HostileRegisterListsAreRefusedAndChangeNothing(string corruption)
    {
        SdeiState good = Busy().Dispatcher.ExportState();
        ulong number0 = Id(GroupPrivateEvent, 0, FieldEventFlags);
        SdeiState bad = corruption switch
        {
            "version" => Replace(good, -1, Id(GroupHeader, 0, FieldVersion), 2),
            "kind" => Replace(good, 1, Id(GroupHeader, 0, FieldListKind), ListKindShared),
            "masked" => Replace(good, 1, Id(GroupPe, 0, FieldMasked), 2),
            "depth3" => Replace(good, 0, Id(GroupPe, 0, FieldDepth), 3),
            "flags-enabled-unregistered" => Replace(good, 2, number0, FlagEnabled | FlagRunning),
            "flags-unknown-bit" => Replace(good, 1, number0, 0x13),
            "entry-misaligned" => Replace(good, 1, Id(GroupPrivateEvent, 0, FieldEntryPoint), Rig.Entry + 1),
            "running-without-frame" => Replace(good, 1, number0, FlagRegistered | FlagRunning),
            "frame-not-running" => Replace(good, 2, number0, 0),
            "table-mismatch" => Replace(good, 0, Id(GroupPrivateEvent, 4, FieldEventNumber), 0x301),
            "routing-bad" => Replace(good, -1, Id(GroupSharedEvent, 2, FieldRoutingMode), 2),
            "affinity-nobody" => Replace(good, -1, Id(GroupSharedEvent, 2, FieldAffinity), 0x55),
            "handler-vcpu" => Replace(good, -1, Id(GroupSharedEvent, 2, FieldHandlerVcpu), 9),
            "binding-kind" => Replace(good, -1, Id(GroupBinding, 40, FieldBindingKind), 3),
            "missing" => good with { Vcpus = good.Vcpus.Select((l, i) => i == 0 ? l.Where(r => r.Id != Id(GroupFrame, 1, FieldFramePc)).ToArray() : l).ToArray() },
            "duplicate" => good with { Shared = [.. good.Shared, good.Shared[^1]] },
            "unknown-id" => good with { Shared = [.. good.Shared, new SdeiRegister(Id(0x7F, 0, 0), 0)] },
            "foreign-id" => good with { Shared = [.. good.Shared, new SdeiRegister(0x6030_0000_0014_0000, 0)] },
            "vcpu-count" => good with { Vcpus = good.Vcpus.Take(2).ToArray() },
            "frame-priorities" => Replace(good, 0, Id(GroupFrame, 0, FieldFrameEvent), Rig.PrivateCritical),
            _ => throw new ArgumentException(corruption),
        };
        Assert.NotEqual(good, bad);

        var target = new Rig();
        target.Arm(0, 0);
        SdeiState before = target.Dispatcher.ExportState();
        Assert.Throws<SdeiStateException>(() => target.Dispatcher.ImportState(bad));
        AssertSameState(before, target.Dispatcher.ExportState());
        Assert.Empty(target.Binder!.Bound);
    }

    [Fact]
    public void ImportIntoADispatcherWithAnotherTableIsRefused()
    {
        SdeiState good = Busy().Dispatcher.ExportState();
        var other = new SdeiDispatcher([new(0x100, SdeiEventType.Private, SdeiPriority.Critical)], Enumerable.Range(0, 3).Select(SdeiDispatcher.KvmDefaultMpidr).ToArray(), new FakeHost(), new FakeBinder());
        Assert.Throws<SdeiStateException>(() => other.ImportState(good));
    }

    [Fact]
    public void BinderRefusalLeavesTheDispatcherResetAndReleasesWhatItBound()
    {
        SdeiState good = Busy().Dispatcher.ExportState();
        var target = new Rig();
        target.Binder!.Busy.Add(40);
        Assert.Throws<SdeiStateException>(() => target.Dispatcher.ImportState(good));
        Assert.Empty(target.Binder.Bound);
        Assert.Equal([20u], target.Binder.Released);
        AssertSameState(new Rig().Dispatcher.ExportState(), target.Dispatcher.ExportState());
    }

    [Fact]
    public void RandomMutationsNeverCrashTheImport()
    {
        SdeiState good = Busy().Dispatcher.ExportState();
        var random = new Random(1234);
        ulong[] interesting = [0, 1, 2, 3, 4, 5, 7, 8, 15, 0x100, 0x200, 0x300, ulong.MaxValue, Rig.Entry, 0x8000_0001];
        for (int round = 0; round < 2000; round++)
        {
            int list = random.Next(-1, good.Vcpus.Count);
            IReadOnlyList<SdeiRegister> l = list < 0 ? good.Shared : good.Vcpus[list];
            SdeiRegister victim = l[random.Next(l.Count)];
            ulong value = random.Next(3) == 0 ? (ulong)random.NextInt64() : interesting[random.Next(interesting.Length)];
            SdeiState bad = Replace(good, list, victim.Id, value);
            var target = new Rig();
            try
            {
                target.Dispatcher.ImportState(bad);
            }
            catch (SdeiStateException)
            {
                continue;
            }

            // Accepted: it must be a state the dispatcher can run from and export again unchanged.
            AssertSameState(bad, target.Dispatcher.ExportState());
            for (int v = 0; v < 3; v++)
            {
                target.Call(v, SdeiFunction.PeUnmask);
                target.Call(v, SdeiFunction.EventComplete);
                target.Dispatcher.Deliver(v, target.Vcpus[v]);
            }
        }
    }
}
