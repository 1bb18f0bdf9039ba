using Vireo.Devices;
using Vireo.Sdei;
using Vireo.Vmm.Arm64;

namespace Vireo.Vmm.Tests.Arm64;

/// <summary>INTERRUPT_BIND of Vireo's own lines: the dispatcher and the binder together, with a
/// recording GIC line and vCPU contexts in memory.</summary>
public sealed class SdeiInterruptBinderTests
{
    private const uint UartIntid = 33;
    private const ulong BoundEvent = SdeiDispatcher.DynamicEventBase + UartIntid;
    private const ulong Handler = 0x4000_1000;

    private sealed class Gic : IInterruptLine
    {
        public List<bool> Levels { get; } = [];

        public void Set(bool asserted) => Levels.Add(asserted);
    }

    private sealed class Host : ISdeiHost
    {
        public List<int> Requests { get; } = [];

        public void RequestDelivery(int vcpu) => Requests.Add(vcpu);
    }

    private sealed class Context : ISdeiVcpuContext
    {
        private readonly ulong[] _x = new ulong[31];

        public ulong GetX(int index) => _x[index];

        public void SetX(int index, ulong value) => _x[index] = value;

        public ulong Pc { get; set; } = 0x4000_2000;

        public ulong Pstate { get; set; } = 0x3C5;

        public ulong ElrEl1 { get; set; }

        public ulong SpsrEl1 { get; set; }

        public ulong SctlrEl1 => 0;
    }

    private readonly Gic _gic = new();
    private readonly Host _host = new();
    private readonly Context _vcpu = new();
    private readonly SdeiBindableLine _line;
    private readonly SdeiInterruptBinder _binder;
    private readonly SdeiDispatcher _dispatcher;

    public SdeiInterruptBinderTests()
    {
        _line = new SdeiBindableLine(_gic, UartIntid);
        _binder = new SdeiInterruptBinder([_line]);
        _dispatcher = new SdeiDispatcher(Arm64Platform.SdeiEvents, [0], _host, _binder);
        _binder.Attach(_dispatcher);
    }

    private ulong Call(SdeiFunction function, ulong x1 = 0, ulong x2 = 0, ulong x3 = 0, ulong x4 = 0, ulong x5 = 0) =>
        _dispatcher.Call(0, new SmcccCall((uint)function, x1, x2, x3, x4, x5), _vcpu).X0;

    private void RegisterBound()
    {
        Assert.Equal(BoundEvent, Call(SdeiFunction.InterruptBind, UartIntid));
        Assert.Equal(0UL, Call(SdeiFunction.EventRegister, BoundEvent, Handler, 7, 1, 0));
        Assert.Equal(0UL, Call(SdeiFunction.EventEnable, BoundEvent));
        Assert.Equal(0UL, Call(SdeiFunction.PeUnmask));
    }

    [Fact]
    public void An_unbound_line_drives_the_gic_and_signals_nothing()
    {
        _line.Set(true);
        _line.Set(false);

        Assert.Equal([true, false], _gic.Levels);
        Assert.Empty(_host.Requests);
        Assert.Equal(1UL, Call(SdeiFunction.Features, 0));
    }

    [Fact]
    public void Binding_lowers_the_gic_line_and_each_rising_edge_becomes_one_event()
    {
        _line.Set(true);
        RegisterBound();
        // The GIC saw the assertion, then the bind took the line from it.
        Assert.Equal([true, false], _gic.Levels);
        Assert.Equal(0UL, Call(SdeiFunction.Features, 0));

        // Already high when bound: no edge, no event.
        Assert.False(_dispatcher.HasDeliverable(0));
        _line.Set(false);
        _line.Set(true);
        _line.Set(true);
        Assert.True(_dispatcher.HasDeliverable(0));
        Assert.Equal([0], _host.Requests);
        Assert.True(_dispatcher.Deliver(0, _vcpu));
        Assert.Equal(BoundEvent, _vcpu.GetX(0));
        Assert.Equal(7UL, _vcpu.GetX(1));
        Assert.Equal(Handler, _vcpu.Pc);
        // The line stayed high: no second event while the handler runs, or after it completes.
        Call(SdeiFunction.EventComplete);
        Assert.False(_dispatcher.HasDeliverable(0));
        Assert.Equal([true, false], _gic.Levels);
    }

    /// <summary>A guest that storms its bound interrupt (a driver toggling the UART's enable in a
    /// loop): every edge lands on the event's one pending latch, as on an interrupt's pending bit,
    /// so a million edges make at most one kick and one delivery, another million during the handler
    /// make one more after COMPLETE, and the VMM allocates nothing per edge (each edge had built
    /// its report's source string until the dispatcher reported changes only).</summary>
    [Fact]
    public void A_storm_of_edges_on_a_bound_line_coalesces_into_one_kick_and_one_delivery()
    {
        const int Edges = 1_000_000;
        RegisterBound();
        Assert.Equal(0UL, Call(SdeiFunction.PeMask) & ~1UL);
        // What this thread allocates, not the process's heap: other test classes run at once
        // and their garbage made a heap-size bound flaky (1.06 MB "retained" on a busy host).
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();

        for (int i = 0; i < Edges; i++)
        {
            _line.Set(true);
            _line.Set(false);
        }
        // Masked: held back, and no kick for an event that cannot be taken.
        Assert.False(_dispatcher.HasDeliverable(0));
        Assert.Empty(_host.Requests);

        // Unmasked by the vCPU itself, which enters the handler on its way out of the call.
        Assert.Equal(0UL, Call(SdeiFunction.PeUnmask));
        Assert.Equal((Handler, BoundEvent), (_vcpu.Pc, _vcpu.GetX(0)));
        for (int i = 0; i < Edges; i++)
        {
            _line.Set(true);
            _line.Set(false);
        }
        // Running: the handler is not re-entered; the one delivery the edges left is taken as
        // COMPLETE returns (the PC goes to the handler again, not back to the interrupted code),
        // and after that second COMPLETE nothing is left.
        Assert.False(_dispatcher.Deliver(0, _vcpu));
        _vcpu.Pc = 0;
        Call(SdeiFunction.EventComplete);
        Assert.Equal(Handler, _vcpu.Pc);
        Call(SdeiFunction.EventComplete);
        Assert.Equal(0x4000_2000UL, _vcpu.Pc);
        Assert.False(_dispatcher.HasDeliverable(0));
        Assert.True(_host.Requests.Count <= 1, $"{_host.Requests.Count} kicks for {2 * Edges} edges");
        Assert.Empty(_gic.Levels.Skip(1)); // the GIC line stayed low throughout (held at the bind)
        long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        Assert.True(allocated < 64 << 10, $"{allocated} bytes allocated for {2 * Edges} edges");
    }

    [Fact]
    public void Release_gives_the_gic_the_lines_current_level()
    {
        RegisterBound();
        _line.Set(true);
        Assert.True(_dispatcher.Deliver(0, _vcpu));
        Call(SdeiFunction.EventComplete);

        Assert.Equal(unchecked((ulong)(long)SdeiReturnCode.Denied), Call(SdeiFunction.InterruptRelease, BoundEvent));
        Assert.Equal(0UL, Call(SdeiFunction.EventUnregister, BoundEvent));
        Assert.Equal(0UL, Call(SdeiFunction.InterruptRelease, BoundEvent));

        Assert.False(_line.IsBound);
        Assert.Equal([false, true], _gic.Levels);
        _line.Set(false);
        Assert.Equal([false, true, false], _gic.Levels);
        Assert.Equal(1UL, Call(SdeiFunction.Features, 0));
    }

    [Fact]
    public void Shared_reset_and_system_reset_release_the_binding()
    {
        Assert.Equal(BoundEvent, Call(SdeiFunction.InterruptBind, UartIntid));
        Assert.Equal(0UL, Call(SdeiFunction.SharedReset));
        Assert.False(_line.IsBound);

        Assert.Equal(BoundEvent, Call(SdeiFunction.InterruptBind, UartIntid));
        _dispatcher.Reset();
        Assert.False(_line.IsBound);
        _line.Set(true);
        Assert.True(_gic.Levels[^1]);
    }

    [Theory]
    [InlineData(27u)] // the virtual timer's PPI: KVM's, not Vireo's
    [InlineData(34u)] // an SPI no Vireo device drives
    public void Interrupts_vireo_does_not_own_are_not_bindable(uint intid)
    {
        Assert.Equal(unchecked((ulong)(long)SdeiReturnCode.InvalidParameters), Call(SdeiFunction.InterruptBind, intid));
        Assert.False(_line.IsBound);
    }

    [Fact]
    public void The_binder_refuses_a_ppi_and_two_lines_on_one_intid()
    {
        Assert.Throws<ArgumentException>(() => new SdeiInterruptBinder([new SdeiBindableLine(_gic, 27)]));
        Assert.Throws<ArgumentException>(() => new SdeiInterruptBinder([new SdeiBindableLine(_gic, 40), new SdeiBindableLine(_gic, 40)]));
        Assert.Throws<InvalidOperationException>(() => _binder.Attach(_dispatcher));
    }
}
