using System.Buffers.Binary;
using System.Diagnostics;
using Vireo.Devices;
using Vireo.Kvm;
using Vireo.Memory;
using Vireo.Vmm.X86;

namespace Vireo.Vmm;

/// <summary>
/// `vireo bench s2idle`: how long guest suspend-to-idle takes to reach the host, and a wake to
/// reach the guest. A tiny 64-bit guest makes the LPS0 entry and exit traps a Linux guest's _DSM
/// makes (the same codes, to the port <see cref="MachineBuilder"/> gives the LPS0 device), so every trap
/// goes through the <see cref="Machine"/>'s vCPU loop, the port bus, <see cref="LowPowerIdleDevice"/>
/// and the <see cref="ControlLoop"/> parking the vCPUs, exactly as for a Linux guest. It needs
/// no interrupt delivery, so it runs on any KVM, PVM included. The guest's first instruction
/// after the entry trap writes <see cref="MarkerPort"/>, which timestamps the resume. Before the
/// cycles the guest writes <see cref="ReferencePort"/> in a loop: the gap between two writes is one
/// plain exit round trip, measured in the same run as the yardstick. With more than one vCPU
/// the others spin in the guest until vCPU 0 is done: inside KVM_RUN, as idle vCPUs halted in an
/// in-kernel irqchip are, so the park has to kick them out, as it does for a Linux guest.
/// </summary>
public static class S2IdleBenchmark
{
    /// <summary>The reference loop's port, the one `vireo bench exits` uses.</summary>
    public static readonly PioAddress ReferencePort = ExitBenchmark.Port;

    /// <summary>The resume marker: the PC's POST-code port, within reach of a one-instruction
    /// `out imm8, al` right after the trap, and free on this bare machine.</summary>
    public static readonly PioAddress MarkerPort = new(0x80);

    /// <summary>Plain exits timed for the reference; their gaps give one fewer sample.</summary>
    public const uint ReferenceExits = 2000;

    /// <summary>How long the guest stays suspended before the wake: long enough that the parked
    /// vCPU thread is asleep, as it is in a real suspend, not still on its way there.</summary>
    public static readonly TimeSpan SuspendedDwell = TimeSpan.FromMilliseconds(2);

    /// <summary>The <see cref="S2IdleEvent.Source"/> of the benchmark's wakes.</summary>
    public const string WakeSource = "bench";

    /// <summary>Most vCPUs the benchmark runs; each extra one spins on a host core.</summary>
    public const int MaxCpus = 16;

    private static readonly GuestAddress s_code = new(0x10000);
    private static readonly GuestAddress s_idleCode = new(0x11000);
    private static readonly GuestAddress s_doneFlag = new(0x12000);
    private static readonly TimeSpan s_stepTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The guest: <paramref name="referenceExits"/> writes to the reference port, then
    /// <paramref name="cycles"/> times: LPS0 entry trap, marker write, LPS0 exit trap; then it
    /// sets the done flag the other vCPUs poll, and HLT.</summary>
    public static byte[] GuestCode(uint referenceExits, uint cycles, PioAddress lowPowerIdlePort)
    {
        byte entry = new LowPowerIdleEvent(LowPowerIdleFamily.Amd, LowPowerIdleFunction.Entry).Code;
        byte exit = new LowPowerIdleEvent(LowPowerIdleFamily.Amd, LowPowerIdleFunction.Exit).Code;
        ushort lps = lowPowerIdlePort.Value;
        byte[] code =
        [
            0xb9, 0, 0, 0, 0,                                                 // mov ecx, referenceExits
            0x66, 0xba, (byte)ReferencePort.Value, (byte)(ReferencePort.Value >> 8), // mov dx, reference port
            0xee,                                                             // r: out dx, al
            0xff, 0xc9,                                                       // dec ecx
            0x75, 0xfb,                                                       // jnz r
            0xb9, 0, 0, 0, 0,                                                 // mov ecx, cycles
            0x66, 0xba, (byte)lps, (byte)(lps >> 8),                          // c: mov dx, LPS0 port
            0xb0, entry,                                                      // mov al, entry
            0xee,                                                             // out dx, al (parked here)
            0xe6, (byte)MarkerPort.Value,                                     // out marker, al (first after resume)
            0xb0, exit,                                                       // mov al, exit
            0xee,                                                             // out dx, al
            0xff, 0xc9,                                                       // dec ecx
            0x75, 0xf0,                                                       // jnz c (-16)
            0xc6, 0x04, 0x25, 0, 0, 0, 0, 0x01,                               // mov byte [done], 1
            0xf4,                                                             // hlt
        ];
        BinaryPrimitives.WriteUInt32LittleEndian(code.AsSpan(1), referenceExits);
        BinaryPrimitives.WriteUInt32LittleEndian(code.AsSpan(15), cycles);
        BinaryPrimitives.WriteUInt32LittleEndian(code.AsSpan(38), (uint)s_doneFlag.Value);
        return code;
    }

    /// <summary>Every other vCPU: l: pause; cmp byte [done], 0; je l; hlt.</summary>
    public static byte[] IdleCpuCode()
    {
        byte[] code =
        [
            0xf3, 0x90,                         // l: pause
            0x80, 0x3c, 0x25, 0, 0, 0, 0, 0x00, // cmp byte [done], 0
            0x74, 0xf4,                         // je l (-12)
            0xf4,                               // hlt
        ];
        BinaryPrimitives.WriteUInt32LittleEndian(code.AsSpan(5), (uint)s_doneFlag.Value);
        return code;
    }

    /// <summary>Runs <paramref name="cycles"/> suspend/wake cycles with <paramref name="cpus"/> vCPUs on <paramref name="kvm"/> and summarises the latencies.</summary>
    public static S2IdleBenchmarkResult Run(KvmSystem kvm, int cycles, int cpus = 1)
    {
        ArgumentNullException.ThrowIfNull(kvm);
        ArgumentOutOfRangeException.ThrowIfLessThan(cycles, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(cpus, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(cpus, MaxCpus);
        var reference = new TimestampDevice((int)ReferenceExits);
        var marker = new TimestampDevice(cycles);
        long[] trapAt = new long[cycles];
        long[] enterAt = new long[cycles];
        long[] suspendedAt = new long[cycles];
        long[] wakeAt = new long[cycles];
        // Per cycle: the wake taken, vCPU 0 released, its thread woke, KVM_RUN called.
        long[][] stepAt = [new long[cycles], new long[cycles], new long[cycles], new long[cycles]];
        var probe = new S2IdleWakeProbe();
        int entryTraps = 0;
        var kinds = new List<S2IdleEventKind>();
        using var suspended = new SemaphoreSlim(0);

        // The same builder and control loop as `vireo run`: only the guest differs.
        BuiltMachine Build()
        {
            BuiltMachine built = MachineBuilder.BuildBare(kvm, new MachineConfig { MemoryBytes = 2UL << 20, Cpus = cpus, InKernelIrqchip = false });
            Machine machine = built.Machine;
            machine.WakeProbe = probe;
            machine.Pio.Insert(ReferencePort, 1, reference, "bench reference");
            machine.Pio.Insert(MarkerPort, 1, marker, "bench resume marker");
            // First subscriber, so the trap is stamped before the control loop hears of it.
            built.LowPowerIdle.Notified += n =>
            {
                if (n.Function == LowPowerIdleFunction.Entry && entryTraps < cycles)
                {
                    trapAt[entryTraps++] = Stopwatch.GetTimestamp();
                }
            };
            LongModeSetup.WriteTables(machine.Memory);
            machine.Memory.Write(s_code, GuestCode(ReferenceExits, (uint)cycles, built.LowPowerIdle.Port));
            machine.Memory.Write(s_idleCode, IdleCpuCode());
            for (int i = 0; i < cpus; i++)
            {
                // The guest uses no stack; RSP is only kept apart per vCPU.
                LongModeSetup.StartAt(machine.Vcpus[i].Vcpu, i == 0 ? s_code : s_idleCode, stack: 0x8000 + ((ulong)i * 0x100));
            }
            return built;
        }

        void Observe(S2IdleEvent e)
        {
            long now = Stopwatch.GetTimestamp();
            int i = (int)e.Cycle - 1;
            lock (kinds)
            {
                kinds.Add(e.Kind);
            }
            if (i < 0 || i >= cycles)
            {
                return;
            }
            if (e.Kind == S2IdleEventKind.Enter)
            {
                enterAt[i] = now;
            }
            else if (e.Kind == S2IdleEventKind.Suspended)
            {
                suspendedAt[i] = now;
                suspended.Release();
            }
        }

        using var loop = new ControlLoop(Build, new VmDescription(cpus, 2UL << 20, null, null), new ControlLoopOptions { S2IdleObserver = Observe });
        loop.Start();
        for (int i = 0; i < cycles; i++)
        {
            if (!suspended.Wait(s_stepTimeout))
            {
                throw Failed(loop, $"cycle {i + 1}: the guest was not suspended within {s_stepTimeout.TotalSeconds} s");
            }
            Thread.Sleep(SuspendedDwell);
            probe.Clear();
            wakeAt[i] = Stopwatch.GetTimestamp();
            Task wake = loop.SendAsync(new WakeVm(WakeSource, strict: true));
            if (!marker.WaitFor(i + 1, s_stepTimeout))
            {
                throw Failed(loop, $"cycle {i + 1}: the guest did not resume within {s_stepTimeout.TotalSeconds} s");
            }
            // The marker's write came after every step, and its lock publishes their stamps.
            (stepAt[0][i], stepAt[1][i], stepAt[2][i], stepAt[3][i]) = (probe.WakeTaken, probe.Released, probe.ThreadWoke, probe.RunEntered);
            if (Array.Exists(stepAt, s => s[i] == 0))
            {
                // The message is built only here: the bench thread runs beside the guest's next cycle.
                throw new InvalidOperationException($"cycle {i + 1}: a step of the wake was not stamped ({string.Join(' ', stepAt.Select(s => s[i]))})");
            }
            if (!wake.Wait(s_stepTimeout))
            {
                throw Failed(loop, $"cycle {i + 1}: the wake request was not answered");
            }
        }
        if (!loop.Completion.Wait(s_stepTimeout) || loop.Completion.Result.Exit.Reason != MachineExitReason.Halted)
        {
            throw new InvalidOperationException($"the benchmark guest did not halt after its cycles: {(loop.Completion.IsCompletedSuccessfully ? loop.Completion.Result.Exit.ToString() : "timed out")}");
        }
        Check(reference.Count == ReferenceExits, $"the reference device saw {reference.Count} writes, expected {ReferenceExits}");
        Check(marker.Count == cycles, $"the resume marker saw {marker.Count} writes, expected {cycles}");
        S2IdleEventKind[] cycle = [S2IdleEventKind.Enter, S2IdleEventKind.Suspended, S2IdleEventKind.Exit, S2IdleEventKind.Resumed];
        lock (kinds)
        {
            Check(kinds.SequenceEqual(Enumerable.Range(0, cycles).SelectMany(_ => cycle)), $"unexpected event sequence: {string.Join(' ', kinds)}");
        }

        long[] refAt = reference.Stamps;
        long[] markerAt = marker.Stamps;
        return new S2IdleBenchmarkResult(
            cycles,
            LatencySummary.Of([.. Enumerable.Range(1, refAt.Length - 1).Select(i => Microseconds(refAt[i - 1], refAt[i]))]),
            LatencySummary.Of([.. Enumerable.Range(0, cycles).Select(i => Microseconds(trapAt[i], enterAt[i]))]),
            LatencySummary.Of([.. Enumerable.Range(0, cycles).Select(i => Microseconds(trapAt[i], suspendedAt[i]))]),
            LatencySummary.Of([.. Enumerable.Range(0, cycles).Select(i => Microseconds(wakeAt[i], markerAt[i]))]),
            new S2IdleWakeSteps(
                Step(wakeAt, stepAt[0]),
                Step(stepAt[0], stepAt[1]),
                Step(stepAt[1], stepAt[2]),
                Step(stepAt[2], stepAt[3]),
                Step(stepAt[3], markerAt)));

        LatencySummary Step(long[] from, long[] to) => LatencySummary.Of([.. Enumerable.Range(0, cycles).Select(i => Microseconds(from[i], to[i]))]);
    }

    private static double Microseconds(long from, long to) => (to - from) * 1e6 / Stopwatch.Frequency;

    private static void Check(bool condition, string failure)
    {
        if (!condition)
        {
            throw new InvalidOperationException(failure);
        }
    }

    private static InvalidOperationException Failed(ControlLoop loop, string what)
    {
        Task<VmmResult> done = loop.Completion;
        return new InvalidOperationException(done.IsCompletedSuccessfully ? $"{what}; the machine ended: {done.Result.Exit}"
            : done.IsFaulted ? $"{what}; the control loop failed: {done.Exception!.InnerException?.Message}" : what);
    }

    /// <summary>Stamps each write with the time it reached the bus; the first
    /// <c>capacity</c> are kept.</summary>
    private sealed class TimestampDevice(int capacity) : IBusDevice
    {
        private readonly long[] _stamps = new long[capacity];
        private readonly object _lock = new(); // an object, not a Lock: writers pulse the waiter through it
        private int _count;

        public int Count
        {
            get
            {
                lock (_lock)
                {
                    return _count;
                }
            }
        }

        public long[] Stamps
        {
            get
            {
                lock (_lock)
                {
                    return _stamps[..Math.Min(_count, _stamps.Length)];
                }
            }
        }

        public void Read(ulong offset, Span<byte> data) => data.Clear();

        public void Write(ulong offset, ReadOnlySpan<byte> data)
        {
            long now = Stopwatch.GetTimestamp();
            lock (_lock)
            {
                if (_count < _stamps.Length)
                {
                    _stamps[_count] = now;
                }
                _count++;
                Monitor.PulseAll(_lock);
            }
        }

        public bool WaitFor(int count, TimeSpan timeout)
        {
            var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
            lock (_lock)
            {
                while (_count < count)
                {
                    long left = deadline - Stopwatch.GetTimestamp();
                    if (left <= 0)
                    {
                        return false;
                    }
                    Monitor.Wait(_lock, TimeSpan.FromSeconds((double)left / Stopwatch.Frequency));
                }
                return true;
            }
        }
    }
}
