namespace Vireo.Sdei.Tests;

/// <summary>The guest may call anything with any arguments: the dispatcher answers, never throws, and stays consistent.</summary>
public sealed class RandomSequenceTests
{
    private static readonly SdeiReturnCode[] s_codes =
    [
        SdeiReturnCode.Success, SdeiReturnCode.NotSupported, SdeiReturnCode.InvalidParameters,
        SdeiReturnCode.Denied, SdeiReturnCode.Pending, SdeiReturnCode.OutOfResource,
    ];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void RandomCallsKeepTheInvariants(int seed)
    {
        var random = new Random(seed);
        var rig = new Rig();
        uint[] events = [0, Rig.PrivateCritical, Rig.PrivateNormal, Rig.SharedNormal, Rig.SharedCritical, SdeiDispatcher.DynamicEventBase + 20, SdeiDispatcher.DynamicEventBase + 40, 0x999];
        ulong Arg()
        {
            return random.Next(8) switch
            {
                0 => (ulong)random.NextInt64() ^ ((ulong)random.Next() << 40),
                1 => events[random.Next(events.Length)],
                2 => rig.Mpidrs[random.Next(rig.Mpidrs.Length)],
                3 => Rig.EntryOf((uint)random.Next(4)),
                4 => (ulong)random.Next(25),
                5 => (ulong)random.Next(2),
                6 => ulong.MaxValue - (ulong)random.Next(3),
                _ => (ulong)random.Next(50),
            };
        }

        // Half the calls have arguments a correct guest would pass, so that events do get registered and run.
        SmcccCall Plausible(uint fid)
        {
            ulong ev = events[random.Next(events.Length)];
            ulong mpidr = rig.Mpidrs[random.Next(3)];
            return (SdeiFunction)fid switch
            {
                SdeiFunction.EventRegister => new(fid, ev, Rig.EntryOf((uint)ev & 0xFF), ev, (ulong)random.Next(2), mpidr),
                SdeiFunction.EventContext => new(fid, (ulong)random.Next(19)),
                SdeiFunction.EventCompleteAndResume => new(fid, Rig.Entry + 0x480),
                SdeiFunction.EventGetInfo => new(fid, ev, (ulong)random.Next(6)),
                SdeiFunction.EventRoutingSet => new(fid, ev, (ulong)random.Next(2), mpidr),
                SdeiFunction.InterruptBind => new(fid, random.Next(2) == 0 ? 20UL : 40UL),
                SdeiFunction.EventSignal => new(fid, 0, mpidr),
                _ => new(fid, ev),
            };
        }

        int deliveries = 0;
        for (int step = 0; step < 20000; step++)
        {
            int vcpu = random.Next(3);
            switch (random.Next(10))
            {
                case 0:
                    rig.Dispatcher.Signal(events[random.Next(events.Length)], random.Next(3) == 0 ? null : random.Next(-1, 4));
                    break;
                case 1:
                    deliveries += rig.Dispatcher.Deliver(vcpu, rig.Vcpus[vcpu]) ? 1 : 0;
                    break;
                case 2 when random.Next(50) == 0:
                    rig.Dispatcher.ResetPe(vcpu);
                    break;
                default:
                    uint fid = random.Next(20) == 0 ? (uint)random.Next() : 0xC400_0020u + (uint)random.Next(0x13);
                    if (fid is (uint)SdeiFunction.PrivateReset or (uint)SdeiFunction.SharedReset && random.Next(8) != 0)
                    {
                        fid = (uint)SdeiFunction.EventSignal; // resets undo everything: keep them rare
                    }

                    var call = random.Next(2) == 0 ? new SmcccCall(fid, Arg(), Arg(), Arg(), Arg(), Arg()) : Plausible(fid);
                    SdeiCallResult r = rig.Dispatcher.Call(vcpu, call, rig.Vcpus[vcpu]);
                    CheckResult(fid, r);
                    deliveries += r.Delivered ? 1 : 0;
                    break;
            }

            if (step % 997 == 0)
            {
                // The import validates every invariant of the model (frames match running events, states are
                // ones the spec allows, routing names real vCPUs); the round trip must be exact.
                SdeiState state = rig.Dispatcher.ExportState();
                var copy = new Rig();
                copy.Dispatcher.ImportState(state);
                Assert.Equal(state.Shared, copy.Dispatcher.ExportState().Shared);
                for (int v = 0; v < 3; v++)
                {
                    Assert.Equal(state.Vcpus[v], copy.Dispatcher.ExportState().Vcpus[v]);
                }
            }
        }

        Assert.True(deliveries > 20, $"only {deliveries} deliveries: the sequence did not exercise dispatch");
    }

    private static void CheckResult(uint fid, SdeiCallResult r)
    {
        if (!r.Returned)
        {
            Assert.True(fid is (uint)SdeiFunction.EventComplete or (uint)SdeiFunction.EventCompleteAndResume);
            return;
        }

        Assert.Equal((0UL, 0UL, 0UL), (r.X1, r.X2, r.X3));
        switch ((SdeiFunction)fid)
        {
            case SdeiFunction.Version:
                Assert.Equal(SdeiDispatcher.Version, r.X0);
                break;
            case SdeiFunction.Features or SdeiFunction.EventContext or SdeiFunction.EventGetInfo or SdeiFunction.InterruptBind:
                break; // values
            case SdeiFunction.EventStatus:
                Assert.True(r.X0 <= 7 || r.Code == SdeiReturnCode.InvalidParameters);
                break;
            case SdeiFunction.PeMask:
                Assert.True(r.X0 <= 1);
                break;
            default:
                Assert.Contains(r.Code, s_codes);
                break;
        }
    }
}
