using Vireo.Devices;
using Vireo.Kvm;
using Vireo.Memory;

namespace Vireo.Vmm;

/// <summary>
/// A virtual machine assembled from its parts: KVM VM, guest RAM in memslots, the port-I/O and
/// MMIO buses, and one <see cref="VcpuRunner"/> per vCPU. Exits flow vCPU → bus → device.
/// </summary>
public sealed partial class Machine : IDisposable
{
    // Addresses KVM needs for its own use on Intel (real-mode TSS and the EPT identity map);
    // they sit in the reserved area just below the 4 GiB boundary, as QEMU and crosvm place them.
    private static readonly GuestAddress s_identityMapAddress = new(0xfffb_c000);
    private static readonly GuestAddress s_tssAddress = new(0xfffb_d000);

    // linux/kvm.h KVM_SYSTEM_EVENT_RESET; the other types (shutdown, crash) end as power-off.
    private const uint KvmSystemEventReset = 2;

    private readonly KvmVm _vm;
    private readonly VcpuRunner[] _runners;
    private readonly object _exitGate = new();
    private readonly CoalescedWrites? _coalesced;
    private readonly Lock _parkGate = new(); // Park's marks and Unpark's releases never interleave
    private MachineExit? _exit;
    private bool _disposed;
    private int _nextMemorySlot;

    private Machine(MachineConfig config, KvmVm vm, GuestMemory memory, Bus<PioAddress> pio, Bus<MmioAddress> mmio, KvmVcpu[] vcpus, KvmCoalescedRing? ring)
    {
        Config = config;
        _vm = vm;
        Memory = memory;
        Pio = pio;
        Mmio = mmio;
        _coalesced = ring is null ? null : new CoalescedWrites(ring, pio, mmio);
        // RAM took slots 0..n-1 (Create).
        _nextMemorySlot = memory.Regions.Count;
        _runners = new VcpuRunner[vcpus.Length];
        for (int i = 0; i < vcpus.Length; i++)
        {
            _runners[i] = new VcpuRunner((uint)i, vcpus[i], pio, mmio, _coalesced, OnVcpuStopped);
        }
    }

    /// <summary>The shape the machine was created with.</summary>
    public MachineConfig Config { get; }

    /// <summary>The KVM VM.</summary>
    public KvmVm Vm => _vm;

    /// <summary>Guest RAM, in KVM memory slots.</summary>
    public GuestMemory Memory { get; }

    /// <summary>The port-I/O bus every port exit goes to.</summary>
    public Bus<PioAddress> Pio { get; }

    /// <summary>The MMIO bus every MMIO exit goes to.</summary>
    public Bus<MmioAddress> Mmio { get; }

    /// <summary>One runner per vCPU, by index.</summary>
    public IReadOnlyList<VcpuRunner> Vcpus => _runners;

    /// <summary>Stamps the steps of each s2idle wake (the benchmark's); vCPU 0 stamps its own.</summary>
    internal S2IdleWakeProbe? WakeProbe
    {
        get => _runners.Length == 0 ? null : _runners[0].WakeProbe;
        set
        {
            if (_runners.Length > 0)
            {
                _runners[0].WakeProbe = value;
            }
        }
    }

    /// <summary>Raised once, when the run's end is first recorded (a vCPU shut down, failed or
    /// every vCPU halted, or <see cref="RequestExit"/>), on the thread that recorded it — often a
    /// vCPU thread inside an exit, so a handler must only post and return. The vCPUs are not
    /// stopped yet: the owner calls <see cref="Stop"/>.</summary>
    public event Action<MachineExit>? Exited;

    /// <summary>The recorded end of the run, or null while it goes on.</summary>
    public MachineExit? Exit
    {
        get
        {
            lock (_exitGate)
            {
                return _exit;
            }
        }
    }

    /// <summary>Creates the VM, its RAM (low below the MMIO hole, the rest above 4 GiB), the irqchip if asked, and the vCPUs; <paramref name="warn"/> receives unowned-access warnings. Everything is released if a step fails.</summary>
    public static Machine Create(KvmSystem kvm, MachineConfig config, Action<string>? warn = null)
    {
        config.Validate();
        KvmVm vm = kvm.CreateVm();
        GuestMemory? memory = null;
        KvmCoalescedRing? ring = null;
        var vcpus = new List<KvmVcpu>();
        try
        {
            if (config.InKernelIrqchip)
            {
                vm.SetIdentityMapAddress(s_identityMapAddress);
                vm.SetTssAddress(s_tssAddress);
                vm.CreateIrqchip();
                vm.CreatePit2();
            }
            memory = CreateMemory(config.MemoryBytes, config.MemoryBacking);
            uint slot = 0;
            foreach (GuestRegion region in memory.Regions)
            {
                vm.SetUserMemoryRegion(slot++, region.Start, region.Size, region.DangerousGetHostAddress());
            }
            for (uint i = 0; i < config.Cpus; i++)
            {
                vcpus.Add(vm.CreateVcpu(i));
            }
            // KVM_CAP_COALESCED_MMIO answers the ring's page offset in the vCPU mapping.
            int ringPage = vm.CheckExtension(KvmCapability.CoalescedPio) > 0 ? vm.CheckExtension(KvmCapability.CoalescedMmio) : 0;
            ring = ringPage > 0 ? KvmCoalescedRing.Map(vcpus[0], ringPage) : null;
            return new Machine(config, vm, memory, new Bus<PioAddress>("port I/O", warn), new Bus<MmioAddress>("MMIO", warn), [.. vcpus], ring);
        }
        catch
        {
            ReleasePartial(ring, vcpus, memory, vm);
            throw;
        }
    }

    /// <summary>Releases what a failed <see cref="Create"/> or <see cref="CreateArm64"/> had made
    /// so far, the last-made first: the architecture's own part (the coalesced ring, the GIC),
    /// the vCPUs, guest RAM, then the VM.</summary>
    private static void ReleasePartial(IDisposable? platformPart, List<KvmVcpu> vcpus, GuestMemory? memory, KvmVm vm)
    {
        platformPart?.Dispose();
        vcpus.ForEach(v => v.Dispose());
        memory?.Dispose();
        vm.Dispose();
    }

    /// <summary>RAM from 0 up to the 32-bit MMIO hole, and the rest above 4 GiB.</summary>
    private static GuestMemory CreateMemory(ulong bytes, GuestMemoryBacking backing)
    {
        ulong low = Math.Min(bytes, MemoryLayout.MmioHoleStart.Value);
        return bytes == low
            ? GuestMemory.Create(backing, (new GuestAddress(0), low))
            : GuestMemory.Create(backing, (new GuestAddress(0), low), (MemoryLayout.HighRamStart, bytes - low));
    }

    /// <summary>A KVM memory slot number no one uses yet, for memory other than RAM (a device's
    /// BAR memory); slots are never reused, so a deleted slot's number stays retired.</summary>
    public uint AllocateMemorySlot() => (uint)(Interlocked.Increment(ref _nextMemorySlot) - 1);

    /// <summary>
    /// Lets guest writes to [port, port+length) skip the exit: KVM queues them and every vCPU
    /// replays them onto the bus before its next exit (see <see cref="CoalescedWrites"/>). Only
    /// for registers whose writes have no effect the guest could see before it next exits —
    /// a UART's transmit holding register, an index register. False where KVM lacks
    /// KVM_CAP_COALESCED_PIO: the writes then exit as before, with the same result.
    /// </summary>
    public bool CoalescePioWrites(PioAddress port, ushort length)
    {
        if (_coalesced is null)
        {
            return false;
        }
        _vm.RegisterCoalescedPio(port, length);
        return true;
    }

    /// <summary>Guest writes replayed from the coalesced ring so far: exits the guest did not take.</summary>
    public long CoalescedWriteCount => _coalesced?.Replayed ?? 0;

    /// <summary>The VMM's footprint just before the boot vCPU's first KVM_RUN (the first guest
    /// instruction): CPU time from process start and resident memory net of guest RAM. Null
    /// until then.</summary>
    public VmmFootprint? FirstEntryFootprint { get; private set; }

    /// <summary>The VMM's footprint now (<see cref="VmmFootprint.Sample"/>).</summary>
    public VmmFootprint Footprint() => VmmFootprint.Sample(Memory);

    /// <summary>Starts every vCPU thread.</summary>
    public void Start()
    {
        if (FirstEntryFootprint is null && _runners.Length > 0)
        {
            _runners[0].BeforeFirstRun = () => FirstEntryFootprint = Footprint();
        }
        foreach (VcpuRunner runner in _runners)
        {
            runner.Start();
        }
        UpdateCoalescedTimer();
    }

    /// <summary>Pauses every vCPU; returns once none is running guest code.</summary>
    public void Pause()
    {
        foreach (VcpuRunner runner in _runners)
        {
            runner.Pause();
        }
        UpdateCoalescedTimer();
    }

    /// <summary>Lets the vCPUs held by <see cref="Pause"/> run; parked vCPUs stay parked.</summary>
    public void Resume()
    {
        foreach (VcpuRunner runner in _runners)
        {
            runner.Resume();
        }
        UpdateCoalescedTimer();
    }

    /// <summary>
    /// Parks every vCPU for guest suspend, independently of <see cref="Pause"/>/<see cref="Resume"/>.
    /// Callable from any thread, including a vCPU thread inside an exit: that vCPU is only marked
    /// (it stops before re-entering the guest), and the call returns once every other vCPU is
    /// held outside KVM_RUN.
    /// </summary>
    /// <remarks>Every vCPU is marked under one lock that <see cref="Unpark"/> also holds, and only
    /// then waited for. An unpark still releasing vCPUs one by one would otherwise undo a mark
    /// the next park had just made on a vCPU it had not reached yet: the vCPU it released first
    /// can run into the guest's next suspend at once, and that park would then wait forever for
    /// a vCPU left running (`vireo bench s2idle --cpus 2` hit this within 50 cycles).</remarks>
    public void Park()
    {
        lock (_parkGate)
        {
            // The caller is marked too, so it stops before it re-enters the guest.
            foreach (VcpuRunner runner in _runners)
            {
                runner.RequestPark();
            }
        }
        foreach (VcpuRunner runner in _runners)
        {
            runner.WaitParked();
        }
        UpdateCoalescedTimer();
    }

    /// <summary>Releases <see cref="Park"/>; never blocks on the vCPUs.</summary>
    public void Unpark()
    {
        lock (_parkGate)
        {
            foreach (VcpuRunner runner in _runners)
            {
                runner.Unpark();
            }
        }
        UpdateCoalescedTimer();
    }

    /// <summary>
    /// The coalesced-write drain timer runs exactly while some vCPU may run guest code; when
    /// none may (all paused, parked for suspend, or stopped), what is queued is delivered and
    /// the timer stops, so a suspended guest costs no timer wakeups. Called after every change
    /// of what the vCPUs are asked to do; serialised, and each call reads the current state,
    /// so the last call always matches the last change.
    /// </summary>
    private void UpdateCoalescedTimer()
    {
        if (_coalesced is null)
        {
            return;
        }
        lock (_parkGate)
        {
            if (_runners.Any(r => r.IsRunnable))
            {
                _coalesced.StartTimer();
            }
            else
            {
                _coalesced.StopTimer();
                _coalesced.Drain();
            }
        }
    }

    /// <summary>Waits until the guest ends the run (all vCPUs halted, or any vCPU shut down or
    /// failed), then stops the rest. Null on timeout.</summary>
    public MachineExit? WaitForExit(TimeSpan timeout)
    {
        lock (_exitGate)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (_exit is null)
            {
                TimeSpan left = timeout == Timeout.InfiniteTimeSpan ? Timeout.InfiniteTimeSpan : deadline - DateTime.UtcNow;
                if (left != Timeout.InfiniteTimeSpan && left <= TimeSpan.Zero)
                {
                    return null;
                }
                Monitor.Wait(_exitGate, left);
            }
        }
        Stop();
        return _exit;
    }

    /// <summary>Stops every vCPU thread and waits for them.</summary>
    public void Stop()
    {
        if (_disposed)
        {
            // Disposed: the vCPUs are gone, and so is the coalesced ring's page.
            return;
        }
        foreach (VcpuRunner runner in _runners)
        {
            runner.Stop();
        }
        // What the guest queued just before it stopped still reaches its devices.
        UpdateCoalescedTimer();
    }

    /// <summary>Stops the vCPUs and releases the VM, its fds and RAM, even if a step fails.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        // Every resource is released even if stopping a vCPU fails, so a failure never leaks
        // the VM's fds or guest memory.
        var errors = new List<Exception>();
        foreach (VcpuRunner runner in _runners)
        {
            TryRelease(runner.Dispose, errors);
            TryRelease(runner.Vcpu.Dispose, errors);
        }
        if (_coalesced is not null)
        {
            TryRelease(_coalesced.Dispose, errors);
        }
        TryRelease(_vm.Dispose, errors);
        TryRelease(Memory.Dispose, errors);
        if (errors.Count > 0)
        {
            throw new AggregateException("tearing down the VM failed", errors);
        }
    }

    private static void TryRelease(Action release, List<Exception> errors)
    {
        try
        {
            release();
        }
        catch (Exception e)
        {
            errors.Add(e);
        }
    }

    /// <summary>Ends the run from outside a vCPU (a device asking for reset, the host asking
    /// for a stop); the first reason recorded wins.</summary>
    public void RequestExit(MachineExitReason reason, string? detail = null)
    {
        MachineExit? recorded = null;
        lock (_exitGate)
        {
            if (_exit is null)
            {
                _exit = recorded = new MachineExit(reason, detail);
                Monitor.PulseAll(_exitGate);
            }
        }
        if (recorded is not null)
        {
            Exited?.Invoke(recorded);
        }
    }

    private void OnVcpuStopped(VcpuRunner runner)
    {
        MachineExit? recorded = null;
        lock (_exitGate)
        {
            if (_exit is not null || runner.StopReason == VcpuStopReason.Requested)
            {
                return;
            }
            MachineExitReason? reason = runner.StopReason switch
            {
                VcpuStopReason.Halted => _runners.All(r => r.State == VcpuRunState.Stopped) ? MachineExitReason.Halted : null,
                VcpuStopReason.Shutdown => MachineExitReason.Shutdown,
                VcpuStopReason.SystemEvent => runner.SystemEvent == KvmSystemEventReset ? MachineExitReason.Reset : MachineExitReason.PowerOff,
                _ => MachineExitReason.Failed,
            };
            if (reason is MachineExitReason r)
            {
                _exit = recorded = new MachineExit(r, runner.StopDetail, runner.Index);
                Monitor.PulseAll(_exitGate);
            }
        }
        if (recorded is not null)
        {
            Exited?.Invoke(recorded);
        }
    }
}
