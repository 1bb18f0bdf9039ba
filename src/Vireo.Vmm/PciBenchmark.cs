using System.Buffers.Binary;
using System.Diagnostics;
using Vireo.Devices;
using Vireo.Kvm;
using Vireo.Memory;

namespace Vireo.Vmm;

/// <summary>
/// `vireo bench pci`: what a vfio-user PCI device costs a guest, each figure beside a reference
/// measured in the same run. It drives Vireo's sample accelerator (Vireo.SampleDevice, 1af4:10f1)
/// through a <see cref="VfioPciFunction"/> on a machine from <see cref="MachineBuilder.BuildBare"/>:
/// <list type="number">
/// <item>Trapped BAR read: guest code reads the device's BAR0 ID register N times (MMIO exit →
/// proxy → REGION_READ → server → reply → guest), against N reads of a trivial device on the
/// same MMIO bus (MMIO exit → bus → device → guest).</item>
/// <item>Mapped BAR write: guest code writes BAR2's buffer, which the VMM maps into the guest so
/// nothing exits, against the same writes to guest RAM.</item>
/// <item>DMA: the VMM, as a driver would, programs DMA_SOURCE, DMA_DESTINATION, DMA_LENGTH and
/// DMA_COMMAND through the proxy's BAR0 path and polls COMPLETED, while the device's engine
/// copies 64 KiB of guest RAM (reached through the shared memfd mapping) into its buffer;
/// against a memcpy of the same bytes in this process.</item>
/// </list>
/// Timing: the guest writes a marker port between its phases, and each write is stamped on
/// arrival; every phase runs once to warm up and then <c>rounds</c> times, and each figure is
/// the median over the rounds. The guest needs no interrupts, so it runs on any KVM, PVM
/// included; it ends in S5, as HLT stays in the kernel with the in-kernel irqchip a bound
/// function needs.
/// </summary>
public static class PciBenchmark
{
    /// <summary>The sample accelerator's identity, as the benchmark expects it.</summary>
    internal const ushort SampleVendorId = 0x1af4;
    internal const ushort SampleDeviceId = 0x10f1;

    // The sample accelerator's register map (Vireo.SampleDevice AcceleratorDevice, which the
    // VMM must not reference; the tests check these against it).
    internal const ulong RegId = 0x00;
    internal const ulong RegStatus = 0x04;
    internal const ulong RegSource = 0x10;
    internal const ulong RegDestination = 0x18;
    internal const ulong RegLength = 0x20;
    internal const ulong RegCompleted = 0x28;
    internal const ulong RegCommand = 0x30;
    internal const uint SampleId = 0x45524956;
    internal const uint StatusError = 2;
    internal const uint CommandMemoryToBuffer = 1 | 0x10;
    internal const int BufferBar = 2;

    /// <summary>Bytes one DMA moves: the sample's whole buffer.</summary>
    public const int TransferBytes = 0x10000;

    /// <summary>The marker port the guest writes between phases (the PC's POST-code port, free on a bare machine).</summary>
    public static readonly PioAddress MarkerPort = new(0x80);

    /// <summary>What the guest writes into guest RAM and into the mapped buffer.</summary>
    public const uint WrittenValue = 0x5ca1_ab1e;

    private const int Slot = 1;
    private const int Phases = 4;
    private const uint DwordsPerPass = TransferBytes / 4;
    private static readonly GuestAddress s_code = new(0x10000);
    private static readonly GuestAddress s_lastId = new(0x3000);
    private static readonly GuestAddress s_ramTarget = new(0x20_0000);
    private static readonly GuestAddress s_dmaSource = new(0x30_0000);
    private const ulong MemoryBytes = 4UL << 20;
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan s_dmaTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The byte the DMA source holds at <paramref name="offset"/>: not the guest's
    /// <see cref="WrittenValue"/>, so a DMA that moved nothing is caught.</summary>
    public static byte SourceByte(int offset) => (byte)((offset * 7) + (offset >> 8) + 1);

    /// <summary>The guest: <paramref name="rounds"/> times, with a marker write before, between
    /// and after the phases: <paramref name="reads"/> reads of <paramref name="reference"/>,
    /// <paramref name="reads"/> reads of <paramref name="bar0"/> (the last value stored for the
    /// check), <paramref name="passes"/> passes of 32-bit writes over 64 KiB of RAM, the same over
    /// <paramref name="bar2"/>'s buffer; then S5.</summary>
    public static byte[] GuestCode(uint rounds, uint reads, uint passes, uint reference, uint bar0, uint bar2)
    {
        var code = new List<byte>();
        void Add(params byte[] bytes) => code.AddRange(bytes);
        void Marker() => Add(0xe6, (byte)MarkerPort.Value);             // out marker, al
        void Reads(uint address)
        {
            Add(0xbb); Add(Le(address));                                  // mov ebx, address
            Add(0xb9); Add(Le(reads));                                    // mov ecx, reads
            Add(0x8b, 0x03, 0xff, 0xc9, 0x75, 0xfa);                      // r: mov eax, [rbx]; dec ecx; jnz r
        }
        void Writes(uint address)
        {
            Add(0xb8); Add(Le(WrittenValue));                             // mov eax, value
            Add(0xbe); Add(Le(passes));                                   // mov esi, passes
            Add(0xbf); Add(Le(address));                                  // p: mov edi, address
            Add(0xb9); Add(Le(DwordsPerPass));                            // mov ecx, dwords
            Add(0x89, 0x07, 0x48, 0x83, 0xc7, 0x04, 0xff, 0xc9, 0x75, 0xf6); // w: mov [rdi], eax; add rdi, 4; dec ecx; jnz w
            Add(0xff, 0xce, 0x75, 0xe8);                                  // dec esi; jnz p
        }

        Add(0x41, 0xb8); Add(Le(rounds));                                 // mov r8d, rounds
        int round = code.Count;
        Marker();
        Reads(reference);
        Marker();
        Reads(bar0);
        Add(0x89, 0x04, 0x25); Add(Le((uint)s_lastId.Value));             // mov [lastId], eax
        Marker();
        Writes((uint)s_ramTarget.Value);
        Marker();
        Writes(bar2);
        Marker();
        Add(0x41, 0xff, 0xc8);                                            // dec r8d
        Add(0x0f, 0x85); Add(Le((uint)(round - (code.Count + 4))));       // jnz round
        ushort pm1Control = checked((ushort)(AcpiPlatform.DefaultPmBase.Value + AcpiPmDevice.Pm1ControlOffset));
        ushort sleepS5 = (AcpiPmDevice.S5SleepType << 10) | (1 << 13); // ACPI 6.5 §4.8.3.2.1 SLP_TYP, SLP_EN
        Add(0x66, 0xba, (byte)pm1Control, (byte)(pm1Control >> 8));       // mov dx, PM1a_CNT
        Add(0x66, 0xb8, (byte)sleepS5, (byte)(sleepS5 >> 8));                     // mov ax, S5 | SLP_EN
        Add(0x66, 0xef);                                                  // out dx, ax
        Add(0xf4);                                                        // hlt (not reached)
        return [.. code];
    }

    /// <summary>Runs the benchmark on <paramref name="kvm"/> against <paramref name="sample"/>,
    /// which must serve Vireo's sample accelerator and be bound to no machine.</summary>
    /// <param name="kvm">The KVM to run on.</param>
    /// <param name="sample">The proxy for the sample accelerator; the benchmark binds it to a
    /// machine of its own and unbinds it before returning.</param>
    /// <param name="reads">Trapped (and reference) reads per round.</param>
    /// <param name="rounds">Measured rounds, after one warm-up round.</param>
    /// <exception cref="InvalidOperationException">The device is not the sample accelerator, or
    /// a phase did not do what it should (wrong ID, writes or DMA bytes missing).</exception>
    public static PciBenchmarkResult Run(KvmSystem kvm, VfioPciFunction sample, int reads, int rounds)
    {
        ArgumentNullException.ThrowIfNull(kvm);
        ArgumentNullException.ThrowIfNull(sample);
        ArgumentOutOfRangeException.ThrowIfLessThan(reads, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(rounds, 1);
        if (sample.VendorId != SampleVendorId || sample.DeviceId != SampleDeviceId)
        {
            throw new InvalidOperationException($"bench pci drives Vireo's sample accelerator ({SampleVendorId:x4}:{SampleDeviceId:x4}), not {sample.VendorId:x4}:{sample.DeviceId:x4}");
        }
        // 64 KiB passes, 8 for every 2000 reads: a few ms a phase where a store costs a
        // nanosecond, under a second on a PVM host where a guest's store loop runs at ~3 µs an
        // iteration in RAM as in the buffer.
        uint passes = (uint)Math.Max(1, reads / 256);
        long writes = passes * (long)DwordsPerPass;
        int transfers = Math.Max(2, reads / 10);

        using BuiltMachine built = MachineBuilder.BuildBare(kvm, new MachineConfig
        {
            MemoryBytes = MemoryBytes,
            InKernelIrqchip = true,
            PciFunctions = [new PciAttachment(sample, Slot)],
        });
        Machine machine = built.Machine;
        ResourceAssignment referenceWindow = built.Resources.Allocate(ResourceKind.Mmio, 0x1000, "bench pci reference", alignment: 0x1000);
        var reference = new CountingDevice(SampleId);
        machine.Mmio.Insert(new MmioAddress(referenceWindow.Start), 0x1000, reference, "bench pci reference");
        var markers = new StampDevice();
        machine.Pio.Insert(MarkerPort, 1, markers, "bench pci marker");
        uint bar0 = checked((uint)(built.Pci.BarAddress(Slot, 0) ?? throw new InvalidOperationException("the sample's BAR0 is not placed")));
        uint bar2 = checked((uint)(built.Pci.BarAddress(Slot, BufferBar) ?? throw new InvalidOperationException("the sample's BAR2 is not placed")));

        X86.LongModeSetup.WriteTables(machine.Memory, gibibytes: 4);
        machine.Memory.Write(s_code, GuestCode((uint)rounds + 1, (uint)reads, passes, checked((uint)referenceWindow.Start), bar0, bar2));
        X86.LongModeSetup.StartAt(machine.Vcpus[0].Vcpu, s_code, stack: 0x8000);
        machine.Start();
        MachineExit? exit = machine.WaitForExit(s_timeout);
        if (exit is null || exit.Reason != MachineExitReason.PowerOff)
        {
            throw new InvalidOperationException($"the benchmark guest did not power off: {exit?.ToString() ?? "timed out"}");
        }
        long[] stamps = markers.Stamps;
        Check(stamps.Length == (rounds + 1) * (Phases + 1), $"the guest wrote its marker {stamps.Length} times, expected {(rounds + 1) * (Phases + 1)}");
        Check(reference.Reads == (long)reads * (rounds + 1), $"the reference device saw {reference.Reads} reads, expected {(long)reads * (rounds + 1)}");
        Check(sample.IsAlive, $"the sample device was lost: {sample.LostReason}");
        uint lastId = machine.Memory.Read<uint>(s_lastId);
        Check(lastId == SampleId, $"the guest read ID 0x{lastId:x8} from BAR0, expected 0x{SampleId:x8}");
        byte[] expected = new byte[TransferBytes];
        for (int i = 0; i < TransferBytes; i += 4)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(expected.AsSpan(i), WrittenValue);
        }
        Check(ReadBuffer(sample).AsSpan().SequenceEqual(expected), "the guest's writes to the mapped BAR2 buffer did not reach the device");
        Check(machine.Memory.GetSpan(s_ramTarget, TransferBytes).SequenceEqual(expected), "the guest's writes did not reach guest RAM");

        double[][] perOp = new double[Phases][];
        for (int p = 0; p < Phases; p++)
        {
            long opsPerRound = p < 2 ? reads : writes;
            perOp[p] = [.. Enumerable.Range(1, rounds).Select(r =>
                Microseconds(stamps[(r * (Phases + 1)) + p], stamps[(r * (Phases + 1)) + p + 1]) / opsPerRound)];
        }

        (double dmaUs, double copyUs, double polls) = MeasureDma(machine.Memory, sample, transfers, rounds);
        return new PciBenchmarkResult(
            rounds, reads, writes, transfers, TransferBytes,
            Median(perOp[0]), Median(perOp[1]), Median(perOp[2]), Median(perOp[3]), dmaUs, copyUs, polls);
    }

    /// <summary>Microseconds per DMA and per memcpy of <see cref="TransferBytes"/>, medians over
    /// the rounds after a warm-up, and the mean COMPLETED polls per DMA in the measured rounds;
    /// checks that the device's buffer holds the source afterwards.</summary>
    private static (double Dma, double Copy, double Polls) MeasureDma(GuestMemory memory, VfioPciFunction sample, int transfers, int rounds)
    {
        byte[] source = new byte[TransferBytes];
        for (int i = 0; i < source.Length; i++)
        {
            source[i] = SourceByte(i);
        }
        memory.Write(s_dmaSource, source);
        uint completed = ReadBar0(sample, RegCompleted);
        var dma = new double[rounds];
        var copy = new double[rounds];
        byte[] copyTarget = new byte[TransferBytes];
        long polls = 0;
        for (int round = -1; round < rounds; round++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < transfers; i++)
            {
                WriteBar0(sample, RegSource, s_dmaSource.Value);
                WriteBar0(sample, RegDestination, 0UL);
                WriteBar0(sample, RegLength, (uint)TransferBytes);
                WriteBar0(sample, RegCommand, CommandMemoryToBuffer);
                completed++;
                int polled = WaitCompleted(sample, completed);
                polls += round >= 0 ? polled : 0;
            }
            long end = Stopwatch.GetTimestamp();
            for (int i = 0; i < transfers; i++)
            {
                // What the device's engine does with the same bytes, without the device: one copy.
                source.AsSpan().CopyTo(copyTarget);
            }
            long copied = Stopwatch.GetTimestamp();
            if (round >= 0)
            {
                dma[round] = Microseconds(start, end) / transfers;
                copy[round] = Microseconds(end, copied) / transfers;
            }
        }
        Check(copyTarget.AsSpan().SequenceEqual(source), "the reference copy lost bytes");
        Check(ReadBuffer(sample).AsSpan().SequenceEqual(source), "the DMA did not move the guest's bytes into the device's buffer");
        return (Median(dma), Median(copy), (double)polls / ((long)transfers * rounds));
    }

    /// <summary>Polls COMPLETED until it reads <paramref name="expected"/>; returns the reads it took.</summary>
    private static int WaitCompleted(VfioPciFunction sample, uint expected)
    {
        long deadline = Stopwatch.GetTimestamp() + (long)(s_dmaTimeout.TotalSeconds * Stopwatch.Frequency);
        int polls = 1;
        for (; ReadBar0(sample, RegCompleted) != expected; polls++)
        {
            if ((ReadBar0(sample, RegStatus) & StatusError) != 0)
            {
                throw new InvalidOperationException("the sample's DMA failed (STATUS.ERROR)");
            }
            if (Stopwatch.GetTimestamp() > deadline || !sample.IsAlive)
            {
                throw new InvalidOperationException($"the sample's DMA did not complete within {s_dmaTimeout.TotalSeconds} s{(sample.IsAlive ? "" : $": {sample.LostReason}")}");
            }
        }
        return polls;
    }

    /// <summary>The device's buffer, read through the proxy (REGION_READ) in 4 KiB pieces.</summary>
    private static byte[] ReadBuffer(VfioPciFunction sample)
    {
        byte[] buffer = new byte[TransferBytes];
        for (int offset = 0; offset < buffer.Length; offset += 0x1000)
        {
            sample.ReadBar(BufferBar, (ulong)offset, buffer.AsSpan(offset, 0x1000));
        }
        return buffer;
    }

    private static uint ReadBar0(VfioPciFunction sample, ulong offset)
    {
        Span<byte> data = stackalloc byte[4];
        sample.ReadBar(0, offset, data);
        return BinaryPrimitives.ReadUInt32LittleEndian(data);
    }

    private static void WriteBar0(VfioPciFunction sample, ulong offset, uint value)
    {
        Span<byte> data = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(data, value);
        sample.WriteBar(0, offset, data);
    }

    private static void WriteBar0(VfioPciFunction sample, ulong offset, ulong value)
    {
        Span<byte> data = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(data, value);
        sample.WriteBar(0, offset, data);
    }

    private static double Median(double[] values)
    {
        double[] sorted = [.. values.Order()];
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[(n / 2) - 1] + sorted[n / 2]) / 2;
    }

    private static double Microseconds(long from, long to) => (to - from) * 1e6 / Stopwatch.Frequency;

    private static byte[] Le(uint value)
    {
        byte[] bytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        return bytes;
    }

    private static void Check(bool condition, string failure)
    {
        if (!condition)
        {
            throw new InvalidOperationException(failure);
        }
    }

    /// <summary>Stamps each write with the time it reached the bus.</summary>
    private sealed class StampDevice : IBusDevice
    {
        private readonly List<long> _stamps = [];
        private readonly Lock _lock = new();

        public long[] Stamps
        {
            get
            {
                lock (_lock)
                {
                    return [.. _stamps];
                }
            }
        }

        public void Read(ulong offset, Span<byte> data) => data.Clear();

        public void Write(ulong offset, ReadOnlySpan<byte> data)
        {
            long now = Stopwatch.GetTimestamp();
            lock (_lock)
            {
                _stamps.Add(now);
            }
        }
    }
}
