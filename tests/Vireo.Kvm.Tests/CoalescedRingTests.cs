using Vireo.Memory;
using Vireo.TestSupport;

namespace Vireo.Kvm.Tests;

/// <summary>KVM_CAP_COALESCED_PIO on the host's KVM: writes to a registered port range queue in
/// the ring instead of exiting, in guest order, and reads still exit.</summary>
public sealed class CoalescedRingTests
{
    private const ushort CodeAddress = 0x1000;

    [KvmFact]
    public void Writes_to_a_coalesced_port_queue_in_order_and_the_next_exit_finds_them()
    {
        byte[] code =
        [
            0xBA, 0xF8, 0x03,       // mov dx, 0x3f8
            0xB0, 0x41,             // mov al, 'A'
            0xEE,                   // out dx, al      -> queued
            0xB0, 0x42,             // mov al, 'B'
            0xEE,                   // out dx, al      -> queued
            0xB8, 0x34, 0x12,       // mov ax, 0x1234
            0xEF,                   // out dx, ax      -> exits: 0x3f8-0x3f9 is wider than the zone
            0xEC,                   // in al, dx       -> exits: reads are never coalesced
            0xBA, 0xF9, 0x03,       // mov dx, 0x3f9
            0xEE,                   // out dx, al      -> exits: outside the zone
            0xF4,                   // hlt
        ];
        using TestVm t = TestVm.Create(ramSize: 0x4000);
        using KvmCoalescedRing ring = MapRingWithCoalescedCom1(t);
        t.LoadRealModeCode(code, CodeAddress);
        Assert.True(ring.IsEmpty);
        Assert.Equal((uint)((Environment.SystemPageSize - 8) / 24), ring.Capacity);

        VcpuExit wide = t.Vcpu.Run();
        Assert.Equal(VcpuExitKind.Io, wide.Kind);
        Assert.True(wide.IsWrite);
        Assert.Equal(2, wide.Size);

        // The two byte writes before it wait in the ring, oldest first.
        Assert.False(ring.IsEmpty);
        var sink = new RecordingSink();
        Assert.Equal(2, ring.Drain(sink));
        Assert.True(ring.IsEmpty);
        Assert.Equal(["pio 0x3f8 41", "pio 0x3f8 42"], sink.Writes);

        VcpuExit read = t.Vcpu.Run();
        Assert.Equal(VcpuExitKind.Io, read.Kind);
        Assert.False(read.IsWrite);
        Assert.Equal(new PioAddress(0x3f8), read.Port);
        Assert.True(ring.IsEmpty);

        VcpuExit outside = t.Vcpu.Run();
        Assert.Equal(VcpuExitKind.Io, outside.Kind);
        Assert.Equal(new PioAddress(0x3f9), outside.Port);
        Assert.Equal(0, ring.Drain(sink));
        Assert.Equal(VcpuExitKind.Hlt, t.Vcpu.Run().Kind);
    }

    [KvmFact]
    public void A_full_ring_makes_the_write_exit_so_nothing_is_lost_and_an_unregistered_port_exits_again()
    {
        // 200 writes of their own index to 0x3f8 (more than the ring holds), then hlt.
        byte[] code =
        [
            0xBA, 0xF8, 0x03,       // mov dx, 0x3f8
            0x31, 0xC9,             // xor cx, cx
            0x88, 0xC8,             // loop: mov al, cl
            0xEE,                   // out dx, al
            0x41,                   // inc cx
            0x81, 0xF9, 0xC8, 0x00, // cmp cx, 200
            0x75, 0xF6,             // jne loop
            0xF4,                   // hlt
        ];
        using TestVm t = TestVm.Create(ramSize: 0x4000);
        using KvmCoalescedRing ring = MapRingWithCoalescedCom1(t);
        t.LoadRealModeCode(code, CodeAddress);

        var seen = new List<byte>();
        var sink = new RecordingSink();
        int exits = 0;
        while (true)
        {
            VcpuExit exit = t.Vcpu.Run();
            exits++;
            // As the VMM does: what the ring holds came before this exit.
            ring.Drain(sink);
            seen.AddRange(sink.TakeBytes());
            if (exit.Kind == VcpuExitKind.Hlt)
            {
                break;
            }
            Assert.Equal(VcpuExitKind.Io, exit.Kind);
            Assert.True(exit.IsWrite);
            seen.Add(exit.Data[0]);
        }
        Assert.Equal(Enumerable.Range(0, 200).Select(i => (byte)i), seen);
        Assert.InRange(exits, 2, 200 - (int)ring.Capacity + 2);

        t.Vm.UnregisterCoalescedPio(new PioAddress(0x3f8), 1);
        t.LoadRealModeCode([0xBA, 0xF8, 0x03, 0xB0, 0x11, 0xEE, 0xF4], CodeAddress);
        KvmRegs regs = t.Vcpu.GetRegs();
        regs.Rip = CodeAddress;
        t.Vcpu.SetRegs(regs);
        VcpuExit again = t.Vcpu.Run();
        Assert.Equal(VcpuExitKind.Io, again.Kind);
        Assert.Equal(0x11, again.Data[0]);
        Assert.True(ring.IsEmpty);
    }

    /// <summary>The VM's ring, with guest writes to port 0x3f8 (one byte wide) coalesced.</summary>
    private static KvmCoalescedRing MapRingWithCoalescedCom1(TestVm t)
    {
        int page = t.Vm.CheckExtension(KvmCapability.CoalescedMmio);
        // Every KVM since Linux 4.19 has it, PVM included; Vireo without it just takes the exits.
        Assert.True(t.Vm.CheckExtension(KvmCapability.CoalescedPio) > 0 && page > 0, "this host's KVM has no KVM_CAP_COALESCED_PIO");
        KvmCoalescedRing ring = KvmCoalescedRing.Map(t.Vcpu, page);
        t.Vm.RegisterCoalescedPio(new PioAddress(0x3f8), 1);
        return ring;
    }

    private sealed class RecordingSink : IKvmCoalescedWriteSink
    {
        private readonly List<byte> _bytes = [];

        public List<string> Writes { get; } = [];

        public void Write(bool pio, ulong address, ReadOnlySpan<byte> data)
        {
            Writes.Add($"{(pio ? "pio" : "mmio")} 0x{address:x} {BitConverter.ToString(data.ToArray()).ToLowerInvariant()}");
            _bytes.AddRange(data.ToArray());
        }

        public byte[] TakeBytes()
        {
            byte[] taken = [.. _bytes];
            _bytes.Clear();
            return taken;
        }
    }
}
