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
/// makes (the same codes, to the same port, <see cref="LinuxVm.LowPowerIdlePort"/>), so every trap
/// goes through the <see cref="Machine"/>'s vCPU loop, the port bus, <see cref="LowPowerIdleDevice"/>
/// and <see cref="S2IdleStateMachine"/> parking the vCPU, exactly as for a Linux guest. It needs
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
    public static byte[] GuestCode(uint referenceExits, uint cycles)
    {
        byte entry = new LowPowerIdleEvent(LowPowerIdleFamily.Amd, LowPowerIdleFunction.Entry).Code;
        byte exit = new LowPowerIdleEvent(LowPowerIdleFamily.Amd, LowPowerIdleFunction.Exit).Code;
        ushort lps = LinuxVm.LowPowerIdlePort.Value;
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

    public static S2IdleBenchmarkResult Run(KvmSystem kvm, int cycles, int cpus = 1)
    {
        ArgumentNullException.ThrowIfNull(kvm);
        ArgumentOutOfRangeException.ThrowIfLessThan(cycles, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(cpus, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(cpus, MaxCpus);
        using Machine machine = Machine.Create(kvm, new MachineConfig { MemoryBytes = 2UL << 20, Cpus = cpus, InKernelIrqchip = false });
        using var pm = new AcpiPmDevice(new NoInterruptLine());
        var reference = new TimestampDevice((int)ReferenceExits);
        var marker = new TimestampDevice(cycles);
        var lps = new LowPowerIdleDevice(LinuxVm.LowPowerIdlePort);
        machine.Pio.Insert(ReferencePort, 1, reference, "bench reference");
        machine.Pio.Insert(MarkerPort, 1, marker, "bench resume marker");
        machine.Pio.Insert(LinuxVm.LowPowerIdlePort, LowPowerIdleDevice.WindowLength, lps, "Low Power S0 Idle (LPS0 _DSM trap)");

        long[] trapAt = new long[cycles];
        long[] enterAt = new long[cycles];
        long[] suspendedAt = new long[cycles];
        long[] wakeAt = new long[cycles];
        int entryTraps = 0;
        var kinds = new List<S2IdleEventKind>();
        using var suspended = new SemaphoreSlim(0);
        // First subscriber, so the trap is stamped before the state machine acts on it.
        lps.Notified += n =>
        {
            if (n.Function == LowPowerIdleFunction.Entry && entryTraps < cycles)
            {
                trapAt[entryTraps++] = Stopwatch.GetTimestamp();
            }
        };
        var s2idle = new S2IdleStateMachine(new BenchHost(machine, pm), e =>
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
            switch (e.Kind)
            {
                case S2IdleEventKind.Enter:
                    enterAt[i] = now;
                    break;
                case S2IdleEventKind.Suspended:
                    suspendedAt[i] = now;
                    suspended.Release();
                    break;
                case S2IdleEventKind.Resumed:
                    // As LinuxVm does at the exit trap: the wake's GBL_STS is acknowledged.
                    pm.ClearGlobalEvent();
                    break;
                default:
                    break;
            }
        });
        lps.Notified += s2idle.OnGuestNotification;

        LongModeSetup.WriteTables(machine.Memory);
        machine.Memory.Write(s_code, GuestCode(ReferenceExits, (uint)cycles));
        machine.Memory.Write(s_idleCode, IdleCpuCode());
        for (int i = 0; i < cpus; i++)
        {
            // The guest uses no stack; RSP is only kept apart per vCPU.
            LongModeSetup.StartAt(machine.Vcpus[i].Vcpu, i == 0 ? s_code : s_idleCode, stack: 0x8000 + ((ulong)i * 0x100));
        }

        machine.Start();
        for (int i = 0; i < cycles; i++)
        {
            if (!suspended.Wait(s_stepTimeout))
            {
                throw Failed(machine, $"cycle {i + 1}: the guest was not suspended within {s_stepTimeout.TotalSeconds} s");
            }
            Thread.Sleep(SuspendedDwell);
            wakeAt[i] = Stopwatch.GetTimestamp();
            S2IdleWakeOutcome outcome = s2idle.RequestWake(WakeSource);
            if (outcome != S2IdleWakeOutcome.Delivered)
            {
                throw Failed(machine, $"cycle {i + 1}: the wake was {outcome}, not delivered");
            }
            if (!marker.WaitFor(i + 1, s_stepTimeout))
            {
                throw Failed(machine, $"cycle {i + 1}: the guest did not resume within {s_stepTimeout.TotalSeconds} s");
            }
        }
        MachineExit? exit = machine.WaitForExit(s_stepTimeout);
        if (exit is null || exit.Reason != MachineExitReason.Halted)
        {
            throw new InvalidOperationException($"the benchmark guest did not halt after its cycles: {exit?.ToString() ?? "timed out"}");
        }
        Check(reference.Count == ReferenceExits, $"the reference device saw {reference.Count} writes, expected {ReferenceExits}");
        Check(marker.Count == cycles, $"the resume marker saw {marker.Count} writes, expected {cycles}");
        Check(s2idle.Cycles == cycles && s2idle.IgnoredTraps == 0 && s2idle.UnexpectedTraps == 0,
            $"the state machine counted {s2idle.Cycles} cycles, {s2idle.IgnoredTraps} ignored and {s2idle.UnexpectedTraps} unexpected traps");
        S2IdleEventKind[] cycle = [S2IdleEventKind.Enter, S2IdleEventKind.Suspended, S2IdleEventKind.Exit, S2IdleEventKind.Resumed];
        lock (kinds)
        {
            Check(kinds.SequenceEqual(Enumerable.Range(0, cycles).SelectMany(_ => cycle)), $"unexpected event sequence: {string.Join(' ', kinds)}");
        }

        long[] refAt = reference.Stamps;
        return new S2IdleBenchmarkResult(
            cycles,
            LatencySummary.Of([.. Enumerable.Range(1, refAt.Length - 1).Select(i => Microseconds(refAt[i - 1], refAt[i]))]),
            LatencySummary.Of([.. Enumerable.Range(0, cycles).Select(i => Microseconds(trapAt[i], enterAt[i]))]),
            LatencySummary.Of([.. Enumerable.Range(0, cycles).Select(i => Microseconds(trapAt[i], suspendedAt[i]))]),
            LatencySummary.Of([.. Enumerable.Range(0, cycles).Select(i => Microseconds(wakeAt[i], marker.Stamps[i]))]));
    }

    private static double Microseconds(long from, long to) => (to - from) * 1e6 / Stopwatch.Frequency;

    private static void Check(bool condition, string failure)
    {
        if (!condition)
        {
            throw new InvalidOperationException(failure);
        }
    }

    private static InvalidOperationException Failed(Machine machine, string what)
    {
        MachineExit? exit = machine.WaitForExit(TimeSpan.Zero);
        return new InvalidOperationException(exit is null ? what : $"{what}; the machine ended: {exit}");
    }

    /// <summary>What LinuxVm's host does: park and unpark the machine, raise the global event.</summary>
    private sealed class BenchHost(Machine machine, AcpiPmDevice pm) : IS2IdleHost
    {
        public void ParkVcpus() => machine.Park();

        public void UnparkVcpus() => machine.Unpark();

        public void InjectWake() => pm.RaiseGlobalEvent();
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
