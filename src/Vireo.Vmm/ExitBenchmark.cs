using System.Buffers.Binary;
using System.Diagnostics;
using Vireo.Devices;
using Vireo.Kvm;
using Vireo.Memory;
using Vireo.Vmm.X86;

namespace Vireo.Vmm;

/// <summary>
/// `vireo bench exits`: a 64-bit guest executes N `out dx, al` to a port owned by a bus device,
/// then HLT. It runs on an ordinary <see cref="Machine"/>, so it measures the same exit path
/// every device uses. tools/bench/exit-loop.c runs the identical guest from C for the ratio.
/// </summary>
public static class ExitBenchmark
{
    /// <summary>The port the benchmark guest writes, owned by a counting device on the bus.</summary>
    public static readonly PioAddress Port = new(0x510);
    private static readonly GuestAddress s_code = new(0x10000);
    private const byte Marker = 0x2a;

    /// <summary>The guest: mov ecx, N; mov dx, port; mov al, 0x2a; 1: out dx, al; dec ecx; jnz 1b; hlt.</summary>
    public static byte[] GuestCode(uint count)
    {
        byte[] code =
        [
            0xb9, 0, 0, 0, 0,                                         // mov ecx, count
            0x66, 0xba, (byte)Port.Value, (byte)(Port.Value >> 8),   // mov dx, port
            0xb0, Marker,                                             // mov al, 0x2a
            0xee,                                                     // out dx, al
            0xff, 0xc9,                                               // dec ecx
            0x75, 0xfb,                                               // jnz -5 (the out)
            0xf4,                                                     // hlt
        ];
        BinaryPrimitives.WriteUInt32LittleEndian(code.AsSpan(1), count);
        return code;
    }

    /// <summary>Runs the benchmark guest on <paramref name="kvm"/> through the same
    /// <see cref="Machine"/>, vCPU loop and bus as every device.</summary>
    /// <param name="kvm">The KVM to run on.</param>
    /// <param name="count">Port writes the guest makes.</param>
    /// <param name="coalesced">Coalesce the port's writes (<see cref="Machine.CoalescePioWrites"/>):
    /// then a write costs KVM's in-kernel queueing plus Vireo's replay, not an exit.</param>
    public static ExitBenchmarkResult Run(KvmSystem kvm, uint count, bool coalesced = false)
    {
        ArgumentOutOfRangeException.ThrowIfZero(count);
        using Machine machine = Machine.Create(kvm, new MachineConfig { MemoryBytes = 2UL << 20, Cpus = 1, InKernelIrqchip = false });
        var device = new CountingDevice();
        machine.Pio.Insert(Port, 1, device, "bench-counter");
        if (coalesced && !machine.CoalescePioWrites(Port, 1))
        {
            throw new KvmUnavailableException("this host's KVM has no KVM_CAP_COALESCED_PIO: run `vireo bench exits` without --coalesced");
        }
        LongModeSetup.WriteTables(machine.Memory);
        machine.Memory.Write(s_code, GuestCode(count));
        LongModeSetup.StartAt(machine.Vcpus[0].Vcpu, s_code, stack: 0x8000);

        long start = Stopwatch.GetTimestamp();
        machine.Start();
        MachineExit? exit = machine.WaitForExit(TimeSpan.FromMinutes(10));
        TimeSpan elapsed = Stopwatch.GetElapsedTime(start);

        if (exit is null || exit.Reason != MachineExitReason.Halted)
        {
            throw new InvalidOperationException($"the benchmark guest did not halt: {exit?.ToString() ?? "timed out"}");
        }
        if (device.Writes != count || device.LastWrite != Marker)
        {
            throw new InvalidOperationException($"the benchmark device saw {device.Writes} writes, expected {count}");
        }
        return new ExitBenchmarkResult(count, elapsed.TotalSeconds, machine.Vcpus[0].ExitCount, machine.FirstEntryFootprint, machine.Footprint());
    }
}
