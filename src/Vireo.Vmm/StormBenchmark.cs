using System.Diagnostics;
using Vireo.Devices;
using Vireo.Kvm;
using Vireo.Memory;
using Vireo.Vmm.X86;

namespace Vireo.Vmm;

/// <summary>
/// `vireo bench storm`: what a storming guest or device costs the host, and whether the VMM's
/// owner (the control loop, and through it the API) still answers. Each scenario runs on a fresh
/// two-vCPU machine for a fixed time while a probe asks the VMM for its state every
/// <see cref="ProbeInterval"/>:
/// <list type="bullet">
/// <item><c>quiet</c>: both vCPUs halt. The reference: the probe's latency and the VMM's CPU at rest.</item>
/// <item><c>port</c>: vCPU 0 writes a handled port in a tight loop.</item>
/// <item><c>unhandled</c>: vCPU 0 writes a port no device owns in a tight loop (reported once, then
/// only counted).</item>
/// <item><c>sci</c>: an SCI storm made by the guest: a GPE's status is set, and vCPU 0 toggles its
/// enable bit in a loop, so the level-triggered SCI goes up and down on every pair of writes.</item>
/// <item><c>notify</c> (when a device with an ACPI notify channel is given): the device sends notify
/// codes as fast as its channel takes them while the guest never reads its mailbox.</item>
/// <item><c>intx</c> (when the device says how to make it raise INTx): a driver that never
/// acknowledges. The guest routes the device's INTx pin through the IOAPIC (level, to vCPU 0),
/// makes the device raise it with the given BAR writes and takes the interrupt in a handler that
/// counts it and EOIs, leaving the line high. Each EOI (KVM's resample eventfd, which the device
/// has as its unmask) lets the device deliver once more, so the guest's handler runs as fast as
/// the round trip allows: the storm goes from the guest's EOI through KVM to the device and back,
/// and the VMM is not on that path (seed 004: INTx masked when it fires, unmasked at the EOI). It
/// needs interrupt delivery through the guest's IDT, which PVM does not have: there it is
/// skipped, with the reason in <see cref="StormBenchmarkResult.Skipped"/>.</item>
/// <item><c>intx-held</c> (with <c>intx</c>): the same, but the guest halts with interrupts off,
/// so the line the device holds high is delivered to the local APIC once and never EOIed: the
/// device fired once and stays masked, and the storm costs nothing. The two run last: the
/// device's line stays high afterwards.</item>
/// </list>
/// The guest's loops count their turns in guest memory; CPU is read per thread from
/// <c>/proc/self/task</c>: the vCPU threads, the storm's source (a device server in this process,
/// not the VMM), and the rest of the VMM. Every scenario but the two INTx ones needs no interrupt
/// delivery (the guest keeps interrupts off), so they run on any KVM, PVM included.
/// </summary>
public static class StormBenchmark
{
    /// <summary>How often the probe asks during a scenario.</summary>
    public static readonly TimeSpan ProbeInterval = TimeSpan.FromMilliseconds(20);

    /// <summary>The handled port of the port storm (a counting device).</summary>
    public static readonly PioAddress HandledPort = new(0x510);

    /// <summary>The unhandled port of the port storm.</summary>
    public const ushort UnhandledPort = 0x5f0;

    /// <summary>Name prefix of the threads this benchmark starts to play a storming device.</summary>
    public const string SourceThreadName = "storm-source";

    private const int WarmUpProbes = 5;
    private const int StormGpe = 0;
    private const int Slot = 1;
    private static readonly GuestAddress s_code0 = new(0x10000);
    private static readonly GuestAddress s_code1 = new(0x11000);
    private static readonly GuestAddress s_counters = new(0x12000);
    private static readonly GuestAddress s_idt = new(0x13000);
    private static readonly GuestAddress s_handlers = new(0x14000);
    private const byte IntxVector = 0x40;
    private const byte SpuriousVector = 0xff;
    // The identity map reaches the IOAPIC and local APIC pages (and 32-bit BARs).
    private const int MappedGibibytes = 4;
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(15);

    /// <summary>Runs every scenario for <paramref name="duration"/>.</summary>
    /// <param name="kvm">The host's KVM.</param>
    /// <param name="duration">How long each scenario storms.</param>
    /// <param name="openProbe">Opens the probe for a started VMM: what a management client does to
    /// ask for the VM's state (the CLI's goes through the API socket). Null: the control loop's own
    /// <see cref="GetVmInfo"/>.</param>
    /// <param name="device">A device with an ACPI notify channel for the <c>notify</c> scenario (and, when
    /// it says how, the <c>intx</c> one); null leaves both out.</param>
    /// <param name="sourceThreads">Names (prefixes) of threads in this process that belong to
    /// <paramref name="device"/>'s server, counted with the storm's source rather than the VMM.</param>
    public static StormBenchmarkResult Run(KvmSystem kvm, TimeSpan duration, Func<IVmm, Task<StormProbe>>? openProbe = null,
        StormDevice? device = null, IReadOnlyList<string>? sourceThreads = null)
    {
        ArgumentNullException.ThrowIfNull(kvm);
        ArgumentOutOfRangeException.ThrowIfLessThan(duration, TimeSpan.FromMilliseconds(100));
        if (device is { } d && !d.Function.HasAcpiNotify)
        {
            throw new InvalidOperationException($"{d.Function.Backend} device '{d.Function.Id}' has no ACPI notify channel (IRQ index 5)");
        }
        openProbe ??= vmm => Task.FromResult(StormProbe.ControlLoop(vmm));
        string[] sources = [SourceThreadName, .. sourceThreads ?? []];
        var scenarios = new List<StormScenarioResult>
        {
            RunScenario(kvm, "quiet", duration, openProbe, sources, _ => Halt(), device: null, pump: null),
            RunScenario(kvm, "port", duration, openProbe, sources, _ => PortLoop((ushort)HandledPort.Value), device: null, pump: null),
            RunScenario(kvm, "unhandled", duration, openProbe, sources, _ => PortLoop(UnhandledPort), device: null, pump: null),
            RunScenario(kvm, "sci", duration, openProbe, sources,
                _ => EnableToggleLoop(Pm(AcpiPmDevice.Gpe0Offset + (AcpiPmDevice.Gpe0Length / 2) + (StormGpe / 8)), 1 << (StormGpe % 8)), device: null, pump: null),
        };
        var skipped = new List<StormSkip>();
        if (device is { } storming)
        {
            scenarios.Add(RunScenario(kvm, "notify", duration, openProbe, sources, _ => Halt(), storming.Function, storming.Notify));
            string? cannot = storming.RaiseIntx.Count == 0
                ? $"{storming.Function.Backend} device '{storming.Function.Id}': no way to make it raise INTx was given"
                : kvm.Backend == KvmBackend.Pvm ? "the PVM backend cannot deliver an interrupt through a guest's IDT" : null;
            if (cannot is not null)
            {
                skipped.Add(new StormSkip("intx", cannot));
                skipped.Add(new StormSkip("intx-held", cannot));
            }
            else
            {
                scenarios.Add(RunScenario(kvm, "intx", duration, openProbe, sources, built => IntxLoop(built, storming.RaiseIntx, takeInterrupts: true), storming.Function, pump: null));
                scenarios.Add(RunScenario(kvm, "intx-held", duration, openProbe, sources, built => IntxLoop(built, storming.RaiseIntx, takeInterrupts: false), storming.Function, pump: null));
            }
        }
        return new StormBenchmarkResult(duration, scenarios, skipped);
    }

    private static StormScenarioResult RunScenario(KvmSystem kvm, string name, TimeSpan duration, Func<IVmm, Task<StormProbe>> openProbe,
        string[] sources, Func<BuiltMachine, byte[]> code0, VfioPciFunction? device, Action<byte>? pump)
    {
        var handled = new CountingDevice();
        BuiltMachine? built = null;
        BuiltMachine Build()
        {
            built = MachineBuilder.BuildBare(kvm, new MachineConfig
            {
                MemoryBytes = 4UL << 20,
                Cpus = 2,
                InKernelIrqchip = true,
                PciFunctions = device is null ? [] : [new PciAttachment(device, Slot)],
            }, warn: _ => { });
            built.Machine.Pio.Insert(HandledPort, 1, handled, "storm counter");
            LongModeSetup.WriteTables(built.Machine.Memory, MappedGibibytes);
            WriteInterruptTable(built.Machine.Memory);
            built.Machine.Memory.Write(s_code0, code0(built));
            // vCPU 1 halts with interrupts off throughout: the storms are vCPU 0's.
            built.Machine.Memory.Write(s_code1, Halt());
            // The SCI storm's status bit, set before the guest runs.
            built.PowerManagement.RaiseGpe(StormGpe);
            LongModeSetup.StartAt(built.Machine.Vcpus[0].Vcpu, s_code0, stack: 0x8000);
            LongModeSetup.StartAt(built.Machine.Vcpus[1].Vcpu, s_code1, stack: 0x9000);
            KvmSregs sregs = built.Machine.Vcpus[0].Vcpu.GetSregs();
            sregs.Idt.Base = s_idt.Value;
            sregs.Idt.Limit = (256 * 16) - 1;
            built.Machine.Vcpus[0].Vcpu.SetSregs(sregs);
            return built;
        }

        using var loop = new ControlLoop(Build, new VmDescription(2, 4UL << 20, null, null), new ControlLoopOptions());
        loop.Start();
        using var stop = new CancellationTokenSource();
        Thread? source = null;
        long codesSent = 0;
        try
        {
            if (!loop.SendAsync(new GetVmInfo()).Wait(s_timeout) || Volatile.Read(ref built) is null)
            {
                throw new InvalidOperationException("the benchmark machine did not start");
            }
            StormProbe probe = openProbe(loop).GetAwaiter().GetResult();
            try
            {
                if (pump is not null)
                {
                    source = new Thread(() =>
                    {
                        for (int i = 0; !stop.IsCancellationRequested; i++)
                        {
                            pump((byte)(0x80 + (i & 0x3f)));
                            Interlocked.Increment(ref codesSent);
                        }
                    }) { Name = SourceThreadName, IsBackground = true };
                    source.Start();
                }
                // Let the storm (and the quiet) settle, and the probe's path warm (first connections,
                // first pages of code touched), before measuring.
                for (int i = 0; i < WarmUpProbes; i++)
                {
                    probe.Probe().Wait(s_timeout);
                    Thread.Sleep(ProbeInterval);
                }
                ThreadCpu before = ThreadCpu.Sample(sources);
                long iterationsBefore = GuestIterations(built!);
                long codesBefore = Interlocked.Read(ref codesSent);
                var latencies = new List<double>();
                int failures = 0;
                string? firstFailure = null;
                var window = Stopwatch.StartNew();
                while (window.Elapsed < duration)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    try
                    {
                        probe.Probe().Wait(s_timeout);
                        latencies.Add(Stopwatch.GetElapsedTime(t0).TotalMicroseconds);
                    }
                    catch (AggregateException e)
                    {
                        failures++;
                        firstFailure ??= e.InnerException?.Message ?? e.Message;
                    }
                    Thread.Sleep(ProbeInterval);
                }
                double seconds = window.Elapsed.TotalSeconds;
                ThreadCpu after = ThreadCpu.Sample(sources);
                long iterations = GuestIterations(built!) - iterationsBefore;
                long codes = Interlocked.Read(ref codesSent) - codesBefore;
                DevicePowerSlot? slot = device is null ? null : built!.DevicePowerSlots.Single();
                return new StormScenarioResult(
                    name,
                    seconds,
                    iterations / seconds,
                    (after.Vcpu - before.Vcpu) / seconds,
                    (after.Vmm - before.Vmm) / seconds,
                    (after.Source - before.Source) / seconds,
                    latencies.Count == 0 ? null : LatencySummary.Of(latencies),
                    failures,
                    firstFailure,
                    probe.Name,
                    pump is null ? null : codes / seconds,
                    slot?.Device.DroppedNotifies);
            }
            finally
            {
                stop.Cancel();
                source?.Join(s_timeout);
                probe.DisposeAsync().AsTask().Wait(s_timeout);
            }
        }
        finally
        {
            loop.SendAsync(new ShutdownVm(force: true)).Wait(s_timeout);
            loop.Completion.Wait(s_timeout);
        }
    }

    private static ushort Pm(int offset) => checked((ushort)(AcpiPlatform.DefaultPmBase.Value + offset));

    private static long GuestIterations(BuiltMachine built)
    {
        Span<byte> counter = stackalloc byte[8];
        built.Machine.Memory.Read(s_counters, counter);
        return BitConverter.ToInt64(counter);
    }

    // hlt; jmp hlt: with interrupts off, the vCPU sleeps in KVM.
    private static byte[] Halt() => [0xf4, 0xeb, 0xfd];

    // mov dx, port; mov rbx, counter; l: out dx, al; inc qword [rbx]; jmp l
    private static byte[] PortLoop(ushort port) =>
        [0x66, 0xba, (byte)port, (byte)(port >> 8), .. MovRbx(), 0xee, 0x48, 0xff, 0x03, 0xeb, 0xfa];

    // mov dx, port; mov rbx, counter; l: mov al, bit; out dx, al; mov al, 0; out dx, al; inc qword [rbx]; jmp l
    private static byte[] EnableToggleLoop(ushort port, int bit) =>
        [0x66, 0xba, (byte)port, (byte)(port >> 8), .. MovRbx(), 0xb0, (byte)bit, 0xee, 0xb0, 0x00, 0xee, 0x48, 0xff, 0x03, 0xeb, 0xf5];

    // mov rbx, imm64 (the counter's guest-physical address: the tables identity-map low memory)
    private static byte[] MovRbx() => MovRbx(s_counters.Value);

    // mov rbx, imm64
    private static byte[] MovRbx(ulong value) => [0x48, 0xbb, .. BitConverter.GetBytes(value)];

    // mov dword [rbx + disp8], imm32 (disp8 0: mov dword [rbx], imm32)
    private static byte[] StoreDword(byte displacement, uint value) => displacement == 0
        ? [0xc7, 0x03, .. BitConverter.GetBytes(value)]
        : [0xc7, 0x43, displacement, .. BitConverter.GetBytes(value)];

    /// <summary>vCPU 0's code for <c>intx</c>: mask the legacy PIC (the pin may also be an ISA IRQ
    /// below 16), enable the local APIC (spurious vector 0xff), route the device's INTA# GSI
    /// through the IOAPIC to <see cref="IntxVector"/> (fixed, physical, to APIC 0, level-triggered,
    /// active high: what the irqfd drives), make the device raise INTx with
    /// <paramref name="raise"/>'s BAR writes, and halt with interrupts on (the handler is
    /// <see cref="WriteInterruptTable"/>'s) or, without <paramref name="takeInterrupts"/>, off:
    /// the line stays high and is never EOIed.</summary>
    private static byte[] IntxLoop(BuiltMachine built, IReadOnlyList<StormBarWrite> raise, bool takeInterrupts)
    {
        uint gsi = built.Pci.IntxGsi(Slot, 0);
        var code = new List<byte>();
        // mov al, 0xff; out 0x21, al; out 0xa1, al
        code.AddRange([0xb0, 0xff, 0xe6, 0x21, 0xe6, 0xa1]);
        code.AddRange(MovRbx(MpTable.LocalApicAddress));
        // mov dword [rbx + 0xf0], 0x100 | spurious (SVR: APIC software enable)
        code.AddRange([0xc7, 0x83, 0xf0, 0x00, 0x00, 0x00, .. BitConverter.GetBytes(0x100u | SpuriousVector)]);
        code.AddRange(MovRbx(MpTable.IoApicAddress));
        // IOREGSEL 0x10 + 2n is the low half of pin n's redirection entry, + 1 the high half (destination).
        code.AddRange(StoreDword(0, 0x11 + (2 * gsi)));
        code.AddRange(StoreDword(0x10, 0));
        code.AddRange(StoreDword(0, 0x10 + (2 * gsi)));
        code.AddRange(StoreDword(0x10, (1u << 15) | IntxVector));
        foreach (StormBarWrite write in raise)
        {
            ulong bar = built.Pci.BarAddress(Slot, write.Bar) ?? throw new InvalidOperationException($"BAR{write.Bar} of the storming device is not placed");
            ulong at = bar + write.Offset;
            if (at + 4 > (ulong)MappedGibibytes << 30)
            {
                throw new InvalidOperationException($"BAR{write.Bar} of the storming device is at 0x{bar:x}, outside the benchmark guest's identity map (4 GiB)");
            }
            code.AddRange(MovRbx(at));
            code.AddRange(StoreDword(0, write.Value));
        }
        // sti (or cli); l: hlt; jmp l
        code.AddRange([takeInterrupts ? (byte)0xfb : (byte)0xfa, 0xf4, 0xeb, 0xfd]);
        return [.. code];
    }

    /// <summary>vCPU 0's IDT at <see cref="s_idt"/>: <see cref="IntxVector"/> counts the interrupt
    /// and EOIs (leaving the device's line high), the spurious vector returns, and every other
    /// vector (an exception: the code went wrong) stops the vCPU with interrupts off, so the
    /// scenario shows no turns.</summary>
    private static void WriteInterruptTable(GuestMemory memory)
    {
        // handler: push rbx; mov rbx, counter; inc qword [rbx]; mov rbx, lapic + EOI; mov dword [rbx], 0; pop rbx; iretq
        byte[] handler = [0x53, .. MovRbx(), 0x48, 0xff, 0x03, .. MovRbx(MpTable.LocalApicAddress + 0xb0), .. StoreDword(0, 0), 0x5b, 0x48, 0xcf];
        byte[] spurious = [0x48, 0xcf];
        byte[] stop = [0xfa, 0xf4, 0xeb, 0xfc];
        GuestAddress spuriousAt = s_handlers.Add((ulong)handler.Length);
        GuestAddress stopAt = spuriousAt.Add((ulong)spurious.Length);
        memory.Write(s_handlers, [.. handler, .. spurious, .. stop]);
        Span<byte> gate = stackalloc byte[16];
        for (int vector = 0; vector < 256; vector++)
        {
            ulong target = vector switch
            {
                IntxVector => s_handlers.Value,
                SpuriousVector => spuriousAt.Value,
                _ => stopAt.Value,
            };
            // Intel SDM Vol. 3A §6.14.1: a 64-bit interrupt gate (type 0xe, present, DPL 0).
            gate.Clear();
            BitConverter.TryWriteBytes(gate, (ushort)target);
            BitConverter.TryWriteBytes(gate[2..], LongModeSetup.CodeSelector);
            gate[5] = 0x8e;
            BitConverter.TryWriteBytes(gate[6..], (ushort)(target >> 16));
            BitConverter.TryWriteBytes(gate[8..], (uint)(target >> 32));
            memory.Write(s_idt.Add((ulong)vector * 16), gate);
        }
    }
}

/// <summary>A device for the storms that need one.</summary>
/// <param name="Function">The device, attached to each scenario's machine in slot 1.</param>
/// <param name="Notify">Makes it send one ACPI notify code (the <c>notify</c> scenario).</param>
/// <param name="RaiseIntx">The guest's BAR writes that make it raise INTx and hold it until a
/// driver acknowledges (the <c>intx</c> scenario); empty leaves that scenario out.</param>
public sealed record StormDevice(VfioPciFunction Function, Action<byte> Notify, IReadOnlyList<StormBarWrite> RaiseIntx);

/// <summary>One 32-bit write by the guest to a device's memory BAR.</summary>
public readonly record struct StormBarWrite(int Bar, ulong Offset, uint Value);

/// <summary>A scenario that did not run, and why.</summary>
public sealed record StormSkip(string Name, string Reason);

/// <summary>What the benchmark asks the VMM, and how, during a storm.</summary>
/// <param name="name">What the probe is, for the report.</param>
/// <param name="probe">One question; completes with the answer, or faults.</param>
/// <param name="owner">Released when the scenario ends (a client, a server).</param>
public sealed class StormProbe(string name, Func<Task> probe, IAsyncDisposable? owner = null) : IAsyncDisposable
{
    /// <summary>What the probe is, for the report.</summary>
    public string Name { get; } = name;

    /// <summary>Asks once.</summary>
    public Task Probe() => probe();

    /// <summary>The control loop's own <see cref="GetVmInfo"/>, with no front end in between.</summary>
    public static StormProbe ControlLoop(IVmm vmm)
    {
        ArgumentNullException.ThrowIfNull(vmm);
        return new StormProbe("control loop vm.info", () => vmm.SendAsync(new GetVmInfo()));
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => owner?.DisposeAsync() ?? ValueTask.CompletedTask;
}

/// <summary>Every scenario of one `vireo bench storm`.</summary>
/// <param name="Duration">How long each scenario stormed.</param>
/// <param name="Scenarios">In order; the first is <c>quiet</c>, the reference.</param>
/// <param name="Skipped">Scenarios this host or device could not run.</param>
public sealed record StormBenchmarkResult(TimeSpan Duration, IReadOnlyList<StormScenarioResult> Scenarios, IReadOnlyList<StormSkip> Skipped)
{
    /// <summary>The reference scenario.</summary>
    public StormScenarioResult Quiet => Scenarios[0];

    /// <summary>A scenario's median probe latency over the quiet one's; null when either had no answer.</summary>
    public double? LatencyRatio(StormScenarioResult scenario)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        return scenario.Probe is { } s && Quiet.Probe is { } q && q.Median > 0 ? s.Median / q.Median : null;
    }
}

/// <summary>One scenario's figures.</summary>
/// <param name="Name">quiet, port, unhandled, sci, notify, intx or intx-held.</param>
/// <param name="Seconds">Measured time.</param>
/// <param name="GuestLoopsPerSecond">Turns of the storming guest loop (for <c>intx</c>, interrupts
/// the guest's handler took; 0 for halting guests).</param>
/// <param name="VcpuCores">CPU of the vCPU threads, in cores (1.0 = one core busy all the time).</param>
/// <param name="VmmCores">CPU of every other VMM thread (control loop, event threads, the API server
/// and the probe's client), in cores.</param>
/// <param name="SourceCores">CPU of the storm's source (a device server in this process), in cores.</param>
/// <param name="Probe">Latency of the answered probes; null when none was answered.</param>
/// <param name="ProbeFailures">Probes that faulted or timed out.</param>
/// <param name="FirstFailure">The first failure's message.</param>
/// <param name="ProbeName">What the probe was.</param>
/// <param name="NotifyCodesPerSecond">Codes the device sent (notify only).</param>
/// <param name="DroppedNotifies">Codes the VMM read and dropped because the guest's mailbox was full (notify only; the VMM
/// leaves the channel unread while it is full, so this stays 0 and the codes wait at the device).</param>
public sealed record StormScenarioResult(string Name, double Seconds, double GuestLoopsPerSecond, double VcpuCores, double VmmCores, double SourceCores,
    LatencySummary? Probe, int ProbeFailures, string? FirstFailure, string ProbeName, double? NotifyCodesPerSecond, long? DroppedNotifies);

/// <summary>CPU time of this process's threads by kind, in seconds, from <c>/proc/self/task/*/stat</c>.</summary>
/// <param name="Vcpu">Threads named vcpuN.</param>
/// <param name="Source">Threads whose name starts with one of the source prefixes.</param>
/// <param name="Vmm">Every other thread.</param>
public readonly record struct ThreadCpu(double Vcpu, double Source, double Vmm)
{
    /// <summary>Reads every thread's user and system time now.</summary>
    /// <param name="sourcePrefixes">Name prefixes counted as <see cref="Source"/>.</param>
    public static ThreadCpu Sample(IReadOnlyList<string> sourcePrefixes)
    {
        ArgumentNullException.ThrowIfNull(sourcePrefixes);
        double vcpu = 0, source = 0, vmm = 0;
        foreach (string task in Directory.GetDirectories("/proc/self/task"))
        {
            string comm;
            double seconds;
            try
            {
                comm = File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n');
                seconds = ThreadSeconds(File.ReadAllText(Path.Combine(task, "stat")));
            }
            catch (IOException)
            {
                continue; // the thread ended meanwhile
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }
            if (comm.StartsWith("vcpu", StringComparison.Ordinal))
            {
                vcpu += seconds;
            }
            else if (sourcePrefixes.Any(p => comm.StartsWith(p, StringComparison.Ordinal)))
            {
                source += seconds;
            }
            else
            {
                vmm += seconds;
            }
        }
        return new ThreadCpu(vcpu, source, vmm);
    }

    /// <summary>User plus system time of one <c>/proc/PID/task/TID/stat</c> line, in seconds (USER_HZ 100).</summary>
    public static double ThreadSeconds(string stat)
    {
        ArgumentNullException.ThrowIfNull(stat);
        int close = stat.LastIndexOf(')');
        if (close < 0 || close + 2 >= stat.Length)
        {
            throw new FormatException($"not a /proc stat line: {stat}");
        }
        // After the name: state is field 3, so utime (14) and stime (15) are at 11 and 12.
        string[] fields = stat[(close + 2)..].Split(' ');
        const double ticksPerSecond = 100;
        return (long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture)) / ticksPerSecond;
    }
}
