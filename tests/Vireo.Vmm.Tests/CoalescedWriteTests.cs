using Vireo.Kvm;
using Vireo.Memory;
using Vireo.TestSupport;

namespace Vireo.Vmm.Tests;

/// <summary>Coalesced port writes through the real vCPU loop: the device sees every write, in
/// guest order relative to the accesses that do exit, with one exit saved per write.</summary>
public sealed class CoalescedWriteTests
{
    [KvmFact]
    public void CoalescedWritesReachTheDeviceInOrderBeforeTheAccessThatExitsAfterThem()
    {
        using KvmSystem kvm = KvmSystem.Open();
        using Machine machine = TestGuest.Create(kvm);
        var device = new RecordingDevice { ReadPattern = 0x60 };
        machine.Pio.Insert(new PioAddress(0x3f8), 8, device, "uart-like");
        Assert.True(machine.CoalescePioWrites(new PioAddress(0x3f8), 1));
        // 100 bytes, each written to the data port and followed by a status read, as Linux's
        // 8250 console writes; then one 2-byte write of the zone's port (too wide: it exits).
        TestGuest.LoadRealMode(machine,
        [
            0x31, 0xc9,             // xor cx, cx
            0xba, 0xf8, 0x03,       // loop: mov dx, 0x3f8
            0x88, 0xc8,             // mov al, cl
            0xee,                   // out dx, al        -> queued
            0xba, 0xfd, 0x03,       // mov dx, 0x3fd
            0xec,                   // in al, dx         -> exits (after a drain)
            0x41,                   // inc cx
            0x83, 0xf9, 0x64,       // cmp cx, 100
            0x75, 0xf0,             // jne loop
            0xba, 0xf8, 0x03,       // mov dx, 0x3f8
            0xb8, 0x34, 0x12,       // mov ax, 0x1234
            0xef,                   // out dx, ax        -> exits
            0xf4,                   // hlt
        ]);

        MachineExit exit = TestGuest.RunToExit(machine);

        Assert.Equal(MachineExitReason.Halted, exit.Reason);
        var accesses = device.Accesses;
        Assert.Equal(201, accesses.Count);
        for (int i = 0; i < 100; i++)
        {
            Assert.Equal((true, 0UL, (byte)i), (accesses[2 * i].Write, accesses[2 * i].Offset, accesses[2 * i].Data[0]));
            Assert.Equal((false, 5UL), (accesses[(2 * i) + 1].Write, accesses[(2 * i) + 1].Offset));
        }
        Assert.Equal(new byte[] { 0x34, 0x12 }, accesses[200].Data);
        Assert.Equal(100, machine.CoalescedWriteCount);
        // 100 reads + the wide write (+ the halt, which the userspace loop sees without an irqchip).
        Assert.InRange(machine.Vcpus[0].ExitCount, 101, 102);
    }

    [KvmFact]
    public void AGuestThatWritesAndNeverExitsAgainStillHasItsWritesDelivered()
    {
        using KvmSystem kvm = KvmSystem.Open();
        using Machine machine = TestGuest.Create(kvm);
        var device = new RecordingDevice();
        machine.Pio.Insert(new PioAddress(0x3f8), 8, device, "uart-like");
        Assert.True(machine.CoalescePioWrites(new PioAddress(0x3f8), 1));
        TestGuest.LoadRealMode(machine,
        [
            0xba, 0xf8, 0x03,       // mov dx, 0x3f8
            0xb0, 0x4f,             // mov al, 'O'
            0xee,                   // out dx, al        -> queued
            0xb0, 0x4b,             // mov al, 'K'
            0xee,                   // out dx, al        -> queued
            0xeb, 0xfe,             // jmp $             (spins in the guest: no exit)
        ]);

        machine.Start();
        // The drain timer delivers them though the vCPU never comes out.
        Assert.True(SpinWait.SpinUntil(() => device.Accesses.Count == 2, TimeSpan.FromSeconds(5)), "the queued writes never reached the device");
        Assert.Equal(0, machine.Vcpus[0].ExitCount);
        machine.Stop();
        Assert.Equal("OK"u8.ToArray(), device.Accesses.Select(a => a.Data[0]).ToArray());
    }

    [KvmFact]
    public void TheCoalescedExitBenchmarkDeliversEveryWriteWithAFractionOfTheExits()
    {
        using KvmSystem kvm = KvmSystem.Open();
        const uint count = 20_000;

        ExitBenchmarkResult plain = ExitBenchmark.Run(kvm, count);
        ExitBenchmarkResult coalesced = ExitBenchmark.Run(kvm, count, coalesced: true);

        // Run checks that the device saw all `count` writes; only the exits differ: one per
        // write, against one per full ring (it holds 169) and the halt.
        Assert.InRange(plain.VcpuExits, count, count + 2);
        Assert.InRange(coalesced.VcpuExits, 1, (count / 100) + 2);
    }

    [KvmFact]
    public void TheExitBenchmarkReportsTheVmmsFootprintNetOfGuestRam()
    {
        using KvmSystem kvm = KvmSystem.Open();

        ExitBenchmarkResult result = ExitBenchmark.Run(kvm, 10);

        VmmFootprint first = Assert.IsType<VmmFootprint>(result.FirstEntry);
        VmmFootprint end = Assert.IsType<VmmFootprint>(result.End);
        // The guest's code and page tables were written before its first instruction.
        Assert.True(first.GuestResidentBytes >= 4096, $"guest RAM resident: {first.GuestResidentBytes}");
        Assert.True(first.Process.CpuTime > TimeSpan.Zero);
        Assert.True(end.Process.CpuTime >= first.Process.CpuTime);
        Assert.Equal(first.Process.ResidentBytes - first.GuestResidentBytes, first.OwnResidentBytes);
        Assert.True(end.Process.PeakResidentBytes >= end.Process.ResidentBytes);
        Assert.Contains("own RSS", end.ToString(), StringComparison.Ordinal);
    }
}
