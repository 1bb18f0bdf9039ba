using Vireo.Devices;
using Vireo.Kvm;
using Vireo.Memory;
using Vireo.Sys;

namespace Vireo.Vmm;

/// <summary>
/// One vCPU on its own thread: runs KVM_RUN and sends every exit to the bus that owns it.
/// Pause and stop requests reach a running vCPU through kvm_run.immediate_exit plus a signal
/// kick (see <see cref="ThreadKick"/>); an exit is always completed before a request is acted
/// on, so pausing never loses or half-handles an exit. Parking (guest suspend) holds the vCPU
/// the same way but independently of pausing, so a host pause/resume never releases a park.
/// </summary>
public sealed class VcpuRunner : IDisposable
{
    private const int RequestNone = 0;
    private const int RequestPause = 1;
    private const int RequestStop = 2;

    private readonly KvmVcpu _vcpu;
    private readonly Bus<PioAddress> _pio;
    private readonly Bus<MmioAddress> _mmio;
    private readonly CoalescedWrites? _coalesced;
    private readonly Action<VcpuRunner> _onStopped;
    private readonly object _gate = new();
    private readonly ManualResetEventSlim _threadReady = new();
    // A held vCPU thread sleeps on this, not on _gate: whoever releases it (resume, unpark, stop)
    // signals it after leaving _gate, so the woken thread never wakes into a lock its waker still
    // holds, and an eventfd read wakes in a third of the time a Monitor wait does (measured with
    // a thread held 2 ms: 11-13 µs against 21-52 µs).
    private readonly EventFd _release = EventFd.Create();
    [ThreadStatic]
    private static VcpuRunner? s_current;
    private Thread? _thread;
    private ThreadKick? _kick;
    private int _request;
    private bool _parked;
    private Exception? _startFailure;
    private Action? _beforeFirstRun;
    // Set after a port-I/O or MMIO exit, which KVM completes on the next KVM_RUN.
    private bool _exitIncomplete;

    internal VcpuRunner(uint index, KvmVcpu vcpu, Bus<PioAddress> pio, Bus<MmioAddress> mmio, CoalescedWrites? coalesced, Action<VcpuRunner> onStopped)
    {
        Index = index;
        _vcpu = vcpu;
        _pio = pio;
        _mmio = mmio;
        _coalesced = coalesced;
        _onStopped = onStopped;
    }

    /// <summary>Runs once on this vCPU's thread just before its first KVM_RUN (set before
    /// <see cref="Start"/>): the machine samples its footprint there.</summary>
    internal Action? BeforeFirstRun
    {
        set => _beforeFirstRun = value;
    }

    /// <summary>Stamps this vCPU's steps of an s2idle wake (<see cref="Machine.WakeProbe"/>).</summary>
    internal S2IdleWakeProbe? WakeProbe { get; set; }

    /// <summary>The vCPU's index (its APIC ID).</summary>
    public uint Index { get; }

    /// <summary>The vCPU's state is only safe to get/set while it is not running.</summary>
    public KvmVcpu Vcpu => _vcpu;

    /// <summary>What the thread is doing.</summary>
    public VcpuRunState State { get; private set; } = VcpuRunState.Created;

    /// <summary>Why the thread ended, once it has.</summary>
    public VcpuStopReason? StopReason { get; private set; }

    /// <summary>What went wrong when <see cref="StopReason"/> is Failed or Shutdown.</summary>
    public string? StopDetail { get; private set; }

    /// <summary>Times the guest exited to this loop. KVM_RUN returning for a host signal (a kick,
    /// or the runtime's own thread signals) is not a guest exit and is not counted.</summary>
    public long ExitCount { get; private set; }

    /// <summary>The KVM system event type when <see cref="StopReason"/> is SystemEvent.</summary>
    public uint SystemEvent { get; private set; }

    /// <summary>Starts the vCPU's thread; throws if the thread could not set itself up.</summary>
    public void Start()
    {
        lock (_gate)
        {
            if (State != VcpuRunState.Created)
            {
                throw new InvalidOperationException($"vCPU {Index} was already started");
            }
            State = VcpuRunState.Running;
        }
        _thread = new Thread(ThreadMain) { Name = $"vcpu{Index}", IsBackground = true };
        _thread.Start();
        _threadReady.Wait();
        if (_startFailure is not null)
        {
            throw new InvalidOperationException($"vCPU {Index} could not start: {_startFailure.Message}", _startFailure);
        }
    }

    /// <summary>Asks the vCPU to pause and waits until it has.</summary>
    public void Pause() => RequestAndWait(RequestPause, s => s is VcpuRunState.Paused or VcpuRunState.Stopped);

    /// <summary>The runner whose thread is calling, or null off the vCPU threads.</summary>
    public static VcpuRunner? Current => s_current;

    /// <summary>Whether the vCPU is held for guest suspend (see <see cref="RequestPark"/>).</summary>
    public bool IsParked
    {
        get
        {
            lock (_gate)
            {
                return _parked;
            }
        }
    }

    /// <summary>Whether the vCPU is meant to run guest code: started, and neither paused, parked
    /// nor stopping. It is what the vCPU was asked, not yet necessarily what its thread did.</summary>
    internal bool IsRunnable
    {
        get
        {
            lock (_gate)
            {
                return State is not (VcpuRunState.Created or VcpuRunState.Stopped) && _request == RequestNone && !_parked;
            }
        }
    }

    /// <summary>Makes the vCPU leave KVM_RUN once and go round its loop (its
    /// <see cref="IHypercallHandler.BeforeEntry"/> runs before it re-enters), without holding it.
    /// From any thread; on the vCPU's own thread the loop comes round anyway.</summary>
    public void Interrupt()
    {
        if (s_current == this)
        {
            return;
        }
        lock (_gate)
        {
            if (State is VcpuRunState.Created or VcpuRunState.Stopped)
            {
                return;
            }
            KickOutOfRun();
        }
    }

    // Under _gate: immediate_exit makes a vCPU about to enter KVM_RUN return at once, and the
    // kick's signal takes one already inside it out; either way it goes round its loop.
    private void KickOutOfRun()
    {
        _vcpu.ImmediateExit = true;
        _kick?.Kick();
    }

    /// <summary>
    /// Lets KVM finish the exit this vCPU last took, so that its registers can be read and
    /// changed: KVM completes a port-I/O or MMIO exit only on the next KVM_RUN (a load's or an
    /// IN's data goes into its register then, and on arm64 the PC steps past the access then),
    /// so a register change made before it lands on the wrong instruction (an SDEI handler
    /// entered at an MMIO exit would have its first instruction skipped, and the access
    /// repeated on completion). KVM_RUN with immediate_exit set completes it and returns at once
    /// without entering the guest (the KVM API's "kvm_run.immediate_exit"). immediate_exit stays
    /// set, so a kick that raced this is not lost: the loop's next KVM_RUN returns at once and
    /// goes round. On the vCPU's own thread, between exits (from
    /// <see cref="IHypercallHandler.BeforeEntry"/>); a no-op when nothing is pending.
    /// </summary>
    public void CompletePendingExit()
    {
        if (!_exitIncomplete)
        {
            return;
        }
        _exitIncomplete = false;
        _vcpu.ImmediateExit = true;
        VcpuExit exit = _vcpu.Run();
        if (exit.Kind != VcpuExitKind.Interrupted)
        {
            throw new InvalidOperationException($"KVM_RUN with immediate_exit set entered the guest (exit {exit.Kind})");
        }
    }

    /// <summary>True from the moment <see cref="Pause"/> asks this vCPU to pause until a resume.</summary>
    internal bool PauseRequested => Volatile.Read(ref _request) == RequestPause;

    /// <summary>Where this vCPU's forwarded firmware calls go; set before the machine starts, null
    /// when the machine forwards none (a forwarded call then stops the vCPU as unhandled).</summary>
    internal IHypercallHandler? Hypercalls { get; set; }

    /// <summary>
    /// The first half of a park, which holds the vCPU out of KVM_RUN until <see cref="Unpark"/>
    /// whatever pause and resume do meanwhile: marks the park and kicks the vCPU out of KVM_RUN,
    /// without waiting. On the vCPU's own thread (inside an exit) it only marks, and the vCPU
    /// stops at the top of its loop, before it re-enters the guest. <see cref="Machine.Park"/>
    /// marks every vCPU this way in one step, so that no <see cref="Unpark"/> can fall between
    /// the marks, and then calls <see cref="WaitParked"/> on each.
    /// </summary>
    internal void RequestPark()
    {
        lock (_gate)
        {
            _parked = true;
            if (s_current == this || State is VcpuRunState.Created or VcpuRunState.Stopped)
            {
                // Its own thread stops at the top of its loop; one that never ran is parked as
                // soon as it starts.
                return;
            }
            Monitor.PulseAll(_gate);
            KickOutOfRun();
        }
    }

    /// <summary>The second half of a park (<see cref="RequestPark"/>): waits until the vCPU is held outside
    /// KVM_RUN (or ended). Returns at once on the vCPU's own thread, which cannot wait for itself.</summary>
    internal void WaitParked()
    {
        if (s_current == this)
        {
            return;
        }
        lock (_gate)
        {
            while (State is not (VcpuRunState.Created or VcpuRunState.Paused or VcpuRunState.Stopped))
            {
                Monitor.Wait(_gate);
            }
        }
    }

    /// <summary>Releases a park; never blocks on the vCPU.</summary>
    public void Unpark()
    {
        lock (_gate)
        {
            _parked = false;
            Monitor.PulseAll(_gate);
        }
        WakeProbe?.MarkReleased();
        _release.Signal();
    }

    /// <summary>Ends a <see cref="Pause"/>; never blocks.</summary>
    public void Resume()
    {
        lock (_gate)
        {
            if (_request != RequestPause)
            {
                return;
            }
            Volatile.Write(ref _request, RequestNone);
            Monitor.PulseAll(_gate);
        }
        _release.Signal();
    }

    /// <summary>Asks the vCPU to stop and waits for its thread to end.</summary>
    public void Stop()
    {
        if (_thread is null)
        {
            State = VcpuRunState.Stopped;
            return;
        }
        RequestAndWait(RequestStop, s => s == VcpuRunState.Stopped);
        _thread.Join();
    }

    /// <summary>Stops the thread.</summary>
    public void Dispose()
    {
        Stop();
        _threadReady.Dispose();
        _release.Dispose();
    }

    private void RequestAndWait(int request, Func<VcpuRunState, bool> reached)
    {
        lock (_gate)
        {
            if (State is VcpuRunState.Created or VcpuRunState.Stopped)
            {
                return;
            }
            Volatile.Write(ref _request, request);
            Monitor.PulseAll(_gate);
            // Order matters: the request is visible before immediate_exit, and both before
            // the kick, so whichever of them the vCPU thread sees first, it sees the request.
            KickOutOfRun();
            // A held thread sleeps on the eventfd: it must look at the new request too.
            _release.Signal();
            while (!reached(State))
            {
                Monitor.Wait(_gate);
            }
        }
    }

    private void ThreadMain()
    {
        try
        {
            VmmConfinement.EnterThread(VmmThreadKind.Vcpu);
            s_current = this;
            _kick = ThreadKick.ForCurrentThread(out ulong runMask);
            _vcpu.SetSignalMask(runMask);
        }
        catch (Exception e)
        {
            _startFailure = e;
            Finish(VcpuStopReason.Failed, e.Message);
            _threadReady.Set();
            return;
        }
        _threadReady.Set();

        VcpuStopReason reason;
        string? detail = null;
        try
        {
            _beforeFirstRun?.Invoke();
            _beforeFirstRun = null;
            reason = RunLoop(out detail);
        }
        catch (Exception e)
        {
            reason = VcpuStopReason.Failed;
            detail = e.Message;
        }
        Finish(reason, detail);
    }

    private VcpuStopReason RunLoop(out string? detail)
    {
        detail = null;
        while (true)
        {
            if (Volatile.Read(ref _request) != RequestNone || Volatile.Read(ref _parked))
            {
                if (!WaitWhilePaused())
                {
                    return VcpuStopReason.Requested;
                }
                WakeProbe?.MarkRunEntered();
            }
            Hypercalls?.BeforeEntry(this);
            VcpuExit exit = _vcpu.Run();
            _exitIncomplete = exit.Kind is VcpuExitKind.Io or VcpuExitKind.Mmio;
            if (exit.Kind != VcpuExitKind.Interrupted)
            {
                ExitCount++;
            }
            // Writes KVM queued without exiting came before this exit in guest order.
            _coalesced?.Drain();
            switch (exit.Kind)
            {
                case VcpuExitKind.Io:
                    HandleIo(exit);
                    break;
                case VcpuExitKind.Mmio:
                    HandleMmio(exit);
                    break;
                case VcpuExitKind.Interrupted:
                    _vcpu.ImmediateExit = false;
                    ThreadKick.DrainCurrentThread();
                    Interlocked.MemoryBarrier();
                    break;
                case VcpuExitKind.Hypercall when Hypercalls is not null:
                    Hypercalls.Handle(this, exit.FunctionId);
                    break;
                case VcpuExitKind.Hlt:
                    return VcpuStopReason.Halted;
                case VcpuExitKind.Shutdown:
                    detail = "the guest triple-faulted or shut down";
                    return VcpuStopReason.Shutdown;
                case VcpuExitKind.SystemEvent:
                    SystemEvent = exit.SystemEventType;
                    detail = $"KVM system event type {exit.SystemEventType}";
                    return VcpuStopReason.SystemEvent;
                case VcpuExitKind.FailEntry:
                    detail = $"KVM_EXIT_FAIL_ENTRY, hardware reason 0x{exit.HardwareEntryFailureReason:x}";
                    return VcpuStopReason.Failed;
                case VcpuExitKind.InternalError:
                    detail = $"KVM_EXIT_INTERNAL_ERROR, suberror {exit.Suberror}";
                    return VcpuStopReason.Failed;
                default:
                    detail = $"unhandled KVM exit reason {exit.RawReason}";
                    return VcpuStopReason.Failed;
            }
        }
    }

    // A port-I/O exit goes here and then straight to the port bus.
    private void HandleIo(in VcpuExit exit)
    {
        Span<byte> data = exit.Data;
        int size = exit.Size;
        for (int i = 0; i < exit.Count; i++)
        {
            Span<byte> item = data.Slice(i * size, size);
            if (exit.IsWrite)
            {
                _pio.Write(exit.Port, item);
            }
            else
            {
                _pio.Read(exit.Port, item);
            }
        }
    }

    private void HandleMmio(in VcpuExit exit)
    {
        if (exit.IsWrite)
        {
            _mmio.Write(exit.Address, exit.Data);
        }
        else
        {
            _mmio.Read(exit.Address, exit.Data);
        }
    }

    /// <summary>Holds the thread while a pause or a park is in force; false when asked to stop.</summary>
    private bool WaitWhilePaused()
    {
        // A paused vCPU's registers are the architectural state, which a snapshot reads: KVM
        // finishes an I/O or MMIO access the last exit left open (a read's data goes into its
        // register). Not for a park, whose holder reads no registers and whose latency counts
        // (the s2idle entry).
        if (PauseRequested)
        {
            CompletePendingExit();
        }
        while (true)
        {
            lock (_gate)
            {
                if (!(_request == RequestPause || (_parked && _request != RequestStop)))
                {
                    if (_request == RequestStop)
                    {
                        return false;
                    }
                    State = VcpuRunState.Running;
                    Monitor.PulseAll(_gate);
                    return true;
                }
                if (State != VcpuRunState.Paused)
                {
                    State = VcpuRunState.Paused;
                    Monitor.PulseAll(_gate);
                }
            }
            // Outside the lock; a release signalled between the check above and this wait is
            // kept in the eventfd's counter, so it is never lost.
            _release.Wait(Timeout.InfiniteTimeSpan);
            WakeProbe?.MarkThreadWoke();
        }
    }

    private void Finish(VcpuStopReason reason, string? detail)
    {
        lock (_gate)
        {
            StopReason = reason;
            StopDetail = detail;
            State = VcpuRunState.Stopped;
            Monitor.PulseAll(_gate);
        }
        _onStopped(this);
    }
}
