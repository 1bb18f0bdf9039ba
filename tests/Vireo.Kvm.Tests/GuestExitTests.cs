using Vireo.Memory;
using Vireo.Sys;
using Vireo.TestSupport;

namespace Vireo.Kvm.Tests;

/// <summary>Hand-assembled real-mode guests run on the host's KVM; the exits are checked as the
/// exit loop will see them.</summary>
public sealed class GuestExitTests
{
    private const ushort CodeAddress = 0x1000;

    [KvmFact]
    public void Port_io_mmio_and_hlt_exits_carry_the_guest_access()
    {
        byte[] code =
        [
            0xBA, 0xF8, 0x03,                   // mov dx, 0x3f8
            0xB0, 0x41,                         // mov al, 0x41
            0xEE,                               // out dx, al
            0xB8, 0x34, 0x12,                   // mov ax, 0x1234
            0xEF,                               // out dx, ax
            0x66, 0xB8, 0xEF, 0xBE, 0xAD, 0xDE, // mov eax, 0xdeadbeef
            0x66, 0xEF,                         // out dx, eax
            0xEC,                               // in al, dx
            0xBA, 0xF9, 0x03,                   // mov dx, 0x3f9
            0xEE,                               // out dx, al        (echo what in read)
            0xC6, 0x06, 0x00, 0x80, 0x77,       // mov byte [0x8000], 0x77   (no RAM there)
            0xC7, 0x06, 0x02, 0x80, 0xEF, 0xBE, // mov word [0x8002], 0xbeef
            0xA0, 0x00, 0x80,                   // mov al, [0x8000]
            0xEE,                               // out dx, al        (echo what the load read)
            0xF4,                               // hlt
        ];
        using TestVm t = TestVm.Create(ramSize: 0x4000);
        t.LoadRealModeCode(code, CodeAddress);

        AssertOut(t.Vcpu.Run(), 0x3f8, [0x41]);
        AssertOut(t.Vcpu.Run(), 0x3f8, [0x34, 0x12]);
        AssertOut(t.Vcpu.Run(), 0x3f8, [0xEF, 0xBE, 0xAD, 0xDE]);

        VcpuExit input = t.Vcpu.Run();
        Assert.Equal(VcpuExitKind.Io, input.Kind);
        Assert.False(input.IsWrite);
        Assert.Equal(new PioAddress(0x3f8), input.Port);
        Assert.Equal(1, input.Size);
        Assert.Equal(1, input.Count);
        input.Data[0] = 0x5A;
        AssertOut(t.Vcpu.Run(), 0x3f9, [0x5A]);

        AssertMmio(t.Vcpu.Run(), 0x8000, isWrite: true, [0x77]);
        AssertMmio(t.Vcpu.Run(), 0x8002, isWrite: true, [0xEF, 0xBE]);
        VcpuExit load = t.Vcpu.Run();
        AssertMmio(load, 0x8000, isWrite: false, [0x00]);
        load.Data[0] = 0x99;
        AssertOut(t.Vcpu.Run(), 0x3f9, [0x99]);

        VcpuExit hlt = t.Vcpu.Run();
        Assert.Equal(VcpuExitKind.Hlt, hlt.Kind);
        Assert.Equal((uint)KvmExitReason.Hlt, hlt.RawReason);
        Assert.Equal((ulong)CodeAddress + (ulong)code.Length, t.Vcpu.GetRegs().Rip);
    }

    [KvmFact]
    public void Ioeventfd_writes_signal_without_an_exit_and_datamatch_filters()
    {
        byte[] code =
        [
            0xBA, 0xFA, 0x03,                   // mov dx, 0x3fa
            0xB0, 0x11,                         // mov al, 0x11
            0xEE,                               // out dx, al     -> any-value ioeventfd
            0xBA, 0xFB, 0x03,                   // mov dx, 0x3fb
            0xB0, 0x41,                         // mov al, 0x41
            0xEE,                               // out dx, al     -> datamatch 0x42 misses: exit
            0xB0, 0x42,                         // mov al, 0x42
            0xEE,                               // out dx, al     -> datamatch hits
            0xC7, 0x06, 0x00, 0x90, 0xEF, 0xBE, // mov word [0x9000], 0xbeef -> MMIO ioeventfd
            0xF4,                               // hlt
        ];
        using TestVm t = TestVm.Create(ramSize: 0x4000);
        using EventFd any = EventFd.Create();
        using EventFd matched = EventFd.Create();
        using EventFd mmio = EventFd.Create();
        t.Vm.RegisterIoeventfd(any, new PioAddress(0x3fa), 1);
        t.Vm.RegisterIoeventfd(matched, new PioAddress(0x3fb), 1, datamatch: 0x42);
        t.Vm.RegisterIoeventfd(mmio, new MmioAddress(0x9000), 2);
        t.LoadRealModeCode(code, CodeAddress);

        VcpuExit miss = t.Vcpu.Run();
        AssertOut(miss, 0x3fb, [0x41]);
        Assert.Equal(1UL, any.TryRead());
        Assert.Equal(0UL, matched.TryRead());

        Assert.Equal(VcpuExitKind.Hlt, t.Vcpu.Run().Kind);
        Assert.Equal(1UL, matched.TryRead());
        Assert.Equal(1UL, mmio.TryRead());
    }

    [KvmFact]
    public void Unregistered_ioeventfd_exits_again()
    {
        byte[] code = [0xBA, 0xFA, 0x03, 0xB0, 0x11, 0xEE, 0xF4]; // mov dx,0x3fa; mov al,0x11; out dx,al; hlt
        using TestVm t = TestVm.Create();
        using EventFd fd = EventFd.Create();
        t.Vm.RegisterIoeventfd(fd, new PioAddress(0x3fa), 1);
        t.Vm.UnregisterIoeventfd(fd, new PioAddress(0x3fa), 1);
        t.LoadRealModeCode(code, CodeAddress);

        AssertOut(t.Vcpu.Run(), 0x3fa, [0x11]);
        Assert.Equal(0UL, fd.TryRead());
    }

    [KvmFact]
    public void Immediate_exit_returns_interrupted_without_running_the_guest()
    {
        using TestVm t = TestVm.Create();
        t.LoadRealModeCode([0xF4], CodeAddress);
        t.Vcpu.ImmediateExit = true;

        VcpuExit exit = t.Vcpu.Run();

        Assert.Equal(VcpuExitKind.Interrupted, exit.Kind);
        Assert.Equal((ulong)CodeAddress, t.Vcpu.GetRegs().Rip);
        t.Vcpu.ImmediateExit = false;
        Assert.Equal(VcpuExitKind.Hlt, t.Vcpu.Run().Kind);
    }

    [KvmFact]
    public void A_kick_through_the_signal_mask_interrupts_a_spinning_guest()
    {
        VcpuExitKind? kind = null;
        Exception? failure = null;
        using var ready = new ManualResetEventSlim();
        ThreadKick? kick = null;
        var thread = new Thread(() =>
        {
            try
            {
                using TestVm t = TestVm.Create();
                t.LoadRealModeCode([0xEB, 0xFE], CodeAddress); // jmp $
                kick = ThreadKick.ForCurrentThread(out ulong runMask);
                t.Vcpu.SetSignalMask(runMask);
                ready.Set();
                kind = t.Vcpu.Run().Kind;
                ThreadKick.DrainCurrentThread();
            }
            catch (Exception e)
            {
                failure = e;
                ready.Set();
            }
        });
        thread.Start();
        Assert.True(ready.Wait(TimeSpan.FromSeconds(10)));
        Assert.Null(failure);
        Thread.Sleep(50);
        kick!.Kick();

        Assert.True(thread.Join(TimeSpan.FromSeconds(10)), "the vCPU thread did not leave KVM_RUN");
        Assert.Null(failure);
        Assert.Equal(VcpuExitKind.Interrupted, kind);
    }

    [KvmFact]
    public void Handling_port_io_exits_allocates_nothing()
    {
        byte[] code =
        [
            0xBA, 0xF8, 0x03, // mov dx, 0x3f8
            0xEC,             // again: in al, dx
            0xEE,             //        out dx, al
            0xEB, 0xFC,       //        jmp again
        ];
        using TestVm t = TestVm.Create();
        t.LoadRealModeCode(code, CodeAddress);
        RunPortLoop(t.Vcpu, 200); // let the JIT settle first

        long before = GC.GetAllocatedBytesForCurrentThread();
        RunPortLoop(t.Vcpu, 2000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
    }

    private static void RunPortLoop(KvmVcpu vcpu, int exits)
    {
        byte value = 0;
        for (int i = 0; i < exits; i++)
        {
            VcpuExit exit = vcpu.Run();
            if (exit.Kind != VcpuExitKind.Io || exit.Port.Value != 0x3f8 || exit.Data.Length != 1)
            {
                Assert.Fail($"unexpected exit {exit.Kind} ({exit.RawReason})");
            }
            // Plain comparisons: xunit's Assert.Equal allocates, and this loop is being measured.
            if (exit.IsWrite)
            {
                if (exit.Data[0] != value)
                {
                    Assert.Fail($"the guest wrote {exit.Data[0]}, not the {value} it read");
                }
            }
            else
            {
                exit.Data[0] = ++value;
            }
        }
    }

    [KvmFact]
    public void Members_of_another_exit_kind_throw()
    {
        using TestVm t = TestVm.Create();
        t.LoadRealModeCode([0xF4], CodeAddress);
        VcpuExit hlt = t.Vcpu.Run();
        Assert.Equal(VcpuExitKind.Hlt, hlt.Kind);

        // A ref struct cannot be captured by Assert.Throws' lambda.
        InvalidOperationException? thrown = null;
        try
        {
            _ = hlt.Port;
        }
        catch (InvalidOperationException e)
        {
            thrown = e;
        }
        Assert.NotNull(thrown);
        Assert.Contains("Port", thrown.Message, StringComparison.Ordinal);
    }

    private static void AssertOut(VcpuExit exit, ushort port, byte[] data)
    {
        Assert.Equal(VcpuExitKind.Io, exit.Kind);
        Assert.True(exit.IsWrite);
        Assert.Equal(new PioAddress(port), exit.Port);
        Assert.Equal(data.Length, exit.Size);
        Assert.Equal(1, exit.Count);
        Assert.Equal(data, exit.Data.ToArray());
    }

    private static void AssertMmio(VcpuExit exit, ulong address, bool isWrite, byte[] data)
    {
        Assert.Equal(VcpuExitKind.Mmio, exit.Kind);
        Assert.Equal(new MmioAddress(address), exit.Address);
        Assert.Equal(isWrite, exit.IsWrite);
        Assert.Equal(data.Length, exit.Data.Length);
        if (isWrite)
        {
            Assert.Equal(data, exit.Data.ToArray());
        }
    }
}
