using Vireo.Devices;
using Vireo.Kvm;
using Vireo.Memory;
using Vireo.Sys;
using Vireo.TestSupport;

namespace Vireo.Vmm.Tests;

/// <summary>Small guests whose exits go through the real vCPU loop and buses.</summary>
public sealed class ExitPathTests
{
    [KvmFact]
    public void RealModePortIoOfEveryWidthReachesTheDeviceAndReadsComeBack()
    {
        using KvmSystem kvm = KvmSystem.Open();
        using Machine machine = TestGuest.Create(kvm);
        var device = new RecordingDevice { ReadPattern = 0x00000000a1b2c3d4 };
        machine.Pio.Insert(new PioAddress(0x510), 4, device, "recorder");
        TestGuest.LoadRealMode(machine,
        [
            0xba, 0x10, 0x05,                   // mov dx, 0x510
            0xb0, 0x11,                         // mov al, 0x11
            0xee,                               // out dx, al
            0xb8, 0x33, 0x22,                   // mov ax, 0x2233
            0xef,                               // out dx, ax
            0x66, 0xb8, 0x77, 0x66, 0x55, 0x44, // mov eax, 0x44556677
            0x66, 0xef,                         // out dx, eax
            0xec,                               // in al, dx
            0xa2, 0x00, 0x20,                   // mov [0x2000], al
            0xed,                               // in ax, dx
            0xa3, 0x02, 0x20,                   // mov [0x2002], ax
            0x66, 0xed,                         // in eax, dx
            0x66, 0xa3, 0x04, 0x20,             // mov [0x2004], eax
            0xf4,                               // hlt
        ]);

        MachineExit exit = TestGuest.RunToExit(machine);

        Assert.Equal(MachineExitReason.Halted, exit.Reason);
        var accesses = device.Accesses;
        Assert.Equal(6, accesses.Count);
        Assert.Equal((true, 0UL), (accesses[0].Write, accesses[0].Offset));
        Assert.Equal(new byte[] { 0x11 }, accesses[0].Data);
        Assert.Equal(new byte[] { 0x33, 0x22 }, accesses[1].Data);
        Assert.Equal(new byte[] { 0x77, 0x66, 0x55, 0x44 }, accesses[2].Data);
        Assert.Equal([1, 2, 4], accesses.Skip(3).Select(a => a.Data.Length));
        Assert.All(accesses.Skip(3), a => Assert.False(a.Write));
        Assert.Equal((byte)0xd4, machine.Memory.Read<byte>(new GuestAddress(0x2000)));
        Assert.Equal((ushort)0xc3d4, machine.Memory.Read<ushort>(new GuestAddress(0x2002)));
        Assert.Equal(0xa1b2c3d4u, machine.Memory.Read<uint>(new GuestAddress(0x2004)));
    }

    /// <summary>What an SDEI delivery does at a vCPU's entry, on the x86 vCPU this host has: the
    /// IN's exit is one KVM finishes only on the next KVM_RUN (moving RIP before that would lose
    /// the IN's byte or the move); after <see cref="VcpuRunner.CompletePendingExit"/> AL holds the
    /// device's byte and RIP is past the IN, and moving RIP then (as entering a handler does)
    /// sticks.</summary>
    [KvmFact]
    public void CompletePendingExitFinishesAPortReadBeforeTheRegistersAreTouched()
    {
        using KvmSystem kvm = KvmSystem.Open();
        using Machine machine = TestGuest.Create(kvm);
        var device = new RecordingDevice { ReadPattern = 0x5a };
        machine.Pio.Insert(new PioAddress(0x510), 1, device, "recorder");
        TestGuest.LoadRealMode(machine,
        [
            0xba, 0x10, 0x05,                   // 0x1000: mov dx, 0x510
            0xec,                               // 0x1003: in al, dx
            0xf4,                               // 0x1004: hlt (skipped: the "handler" is entered instead)
            0xa2, 0x00, 0x20,                   // 0x1005: mov [0x2000], al
            0xf4,                               // 0x1008: hlt
        ]);
        var handler = new EnterAfterFirstExit(0x1005);
        machine.Vcpus[0].Hypercalls = handler;

        MachineExit exit = TestGuest.RunToExit(machine);

        Assert.Equal(MachineExitReason.Halted, exit.Reason);
        Assert.Equal((0x1004UL, 0x5aUL), (handler.RipAfter, handler.RaxAfter & 0xff));
        // The "handler" ran with the IN's byte in AL, and the IN was not repeated.
        Assert.Equal((byte)0x5a, machine.Memory.Read<byte>(new GuestAddress(0x2000)));
        Assert.Single(device.Accesses);
    }

    /// <summary>A pause that arrives while a port read is being handled holds the vCPU with the
    /// read finished — RIP past the IN and the device's byte in AL — because a snapshot reads a
    /// paused vCPU's registers as the architectural state; the resumed guest does not repeat the
    /// read.</summary>
    [KvmFact]
    public void APauseDuringAPortReadHoldsTheVcpuWithTheReadFinished()
    {
        using KvmSystem kvm = KvmSystem.Open();
        using Machine machine = TestGuest.Create(kvm);
        Task? pause = null;
        // The read asks for the pause and returns only once the vCPU has it: the vCPU then leaves
        // this exit straight into the pause, with KVM's side of the IN still open.
        var device = new CallbackDevice(0x5a, () =>
        {
            pause ??= Task.Run(machine.Pause);
            while (!machine.Vcpus[0].PauseRequested)
            {
                Thread.Yield();
            }
        });
        machine.Pio.Insert(new PioAddress(0x510), 1, device, "pausing reader");
        TestGuest.LoadRealMode(machine,
        [
            0xba, 0x10, 0x05,                   // 0x1000: mov dx, 0x510
            0xec,                               // 0x1003: in al, dx
            0xa2, 0x00, 0x20,                   // 0x1004: mov [0x2000], al
            0xf4,                               // 0x1007: hlt
        ]);

        machine.Start();
        SpinWait.SpinUntil(() => pause is not null, TimeSpan.FromSeconds(30));
        Assert.NotNull(pause);
        Assert.True(pause.Wait(TimeSpan.FromSeconds(30)), "the pause did not complete");
        KvmRegs regs = machine.Vcpus[0].Vcpu.GetRegs();
        machine.Resume();
        MachineExit exit = machine.WaitForExit(TimeSpan.FromSeconds(30)) ?? throw new TimeoutException("the guest did not finish in 30 s");

        Assert.Equal((0x1004UL, 0x5aUL), (regs.Rip, regs.Rax & 0xff));
        Assert.Equal(MachineExitReason.Halted, exit.Reason);
        Assert.Equal((byte)0x5a, machine.Memory.Read<byte>(new GuestAddress(0x2000)));
        Assert.Equal(1, device.Reads);
    }

    private sealed class CallbackDevice(byte value, Action onRead) : IBusDevice
    {
        public int Reads { get; private set; }

        public void Read(ulong offset, Span<byte> data)
        {
            Reads++;
            data.Fill(value);
            onRead();
        }

        public void Write(ulong offset, ReadOnlySpan<byte> data)
        {
        }
    }

    private sealed class EnterAfterFirstExit(ulong entry) : IHypercallHandler
    {
        public ulong RipAfter { get; private set; }

        public ulong RaxAfter { get; private set; }

        public void Handle(VcpuRunner vcpu, uint functionId) => throw new InvalidOperationException("no hypercalls here");

        public void BeforeEntry(VcpuRunner vcpu)
        {
            if (vcpu.ExitCount != 1 || RipAfter != 0)
            {
                return;
            }
            vcpu.CompletePendingExit();
            KvmRegs regs = vcpu.Vcpu.GetRegs();
            (RipAfter, RaxAfter) = (regs.Rip, regs.Rax);
            regs.Rip = entry;
            vcpu.Vcpu.SetRegs(regs);
            // Nothing left to finish: a second call is a no-op.
            vcpu.CompletePendingExit();
        }
    }

    [KvmFact]
    public void LongModeMmioReachesTheDeviceAndUnownedAddressesReadAllOnes()
    {
        using KvmSystem kvm = KvmSystem.Open();
        var warnings = new List<string>();
        using Machine machine = Machine.Create(kvm, new MachineConfig { MemoryBytes = 4UL << 20, InKernelIrqchip = false }, warnings.Add);
        var device = new RecordingDevice { ReadPattern = 0x1122334455667788 };
        machine.Mmio.Insert(new MmioAddress(0xd000_0000), 0x1000, device, "recorder");
        TestGuest.LoadLongMode(machine,
        [
            0xbb, 0x00, 0x00, 0x00, 0xd0,                   // mov ebx, 0xd0000000
            0xb8, 0x0d, 0xf0, 0xfe, 0xca,                   // mov eax, 0xcafef00d
            0x89, 0x03,                                     // mov [rbx], eax
            0x48, 0x8b, 0x43, 0x08,                         // mov rax, [rbx+8]
            0x48, 0x89, 0x04, 0x25, 0x00, 0x30, 0x00, 0x00, // mov [0x3000], rax
            0xbb, 0x00, 0x00, 0x00, 0xe0,                   // mov ebx, 0xe0000000 (nobody's)
            0x48, 0x8b, 0x03,                               // mov rax, [rbx]
            0x48, 0x89, 0x04, 0x25, 0x08, 0x30, 0x00, 0x00, // mov [0x3008], rax
            0x89, 0x03,                                     // mov [rbx], eax (dropped)
            0x66, 0xba, 0x34, 0x12,                         // mov dx, 0x1234 (nobody's)
            0xed,                                           // in eax, dx
            0x89, 0x04, 0x25, 0x10, 0x30, 0x00, 0x00,       // mov [0x3010], eax
            0xf4,                                           // hlt
        ]);

        MachineExit exit = TestGuest.RunToExit(machine);

        Assert.Equal(MachineExitReason.Halted, exit.Reason);
        var accesses = device.Accesses;
        Assert.Equal(2, accesses.Count);
        Assert.Equal((true, 0UL), (accesses[0].Write, accesses[0].Offset));
        Assert.Equal(new byte[] { 0x0d, 0xf0, 0xfe, 0xca }, accesses[0].Data);
        Assert.Equal((false, 8UL), (accesses[1].Write, accesses[1].Offset));
        Assert.Equal(0x1122334455667788UL, machine.Memory.Read<ulong>(new GuestAddress(0x3000)));
        Assert.Equal(ulong.MaxValue, machine.Memory.Read<ulong>(new GuestAddress(0x3008)));
        Assert.Equal(uint.MaxValue, machine.Memory.Read<uint>(new GuestAddress(0x3010)));
        Assert.Contains(warnings, w => w.Contains("0xe0000000", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Contains("0x1234", StringComparison.Ordinal));
    }

    [KvmFact]
    public void AGuestWriteToAnIoeventfdPortSignalsItWithoutAUserspaceExit()
    {
        using KvmSystem kvm = KvmSystem.Open();
        using Machine machine = TestGuest.Create(kvm);
        var device = new RecordingDevice();
        machine.Pio.Insert(new PioAddress(0x600), 2, device, "recorder");
        using EventFd any = EventFd.Create();
        using EventFd matching = EventFd.Create();
        machine.Vm.RegisterIoeventfd(any, new PioAddress(0x600), 1, datamatch: null);
        machine.Vm.RegisterIoeventfd(matching, new PioAddress(0x601), 1, datamatch: 7);
        TestGuest.LoadRealMode(machine,
        [
            0xba, 0x00, 0x06, // mov dx, 0x600
            0xb0, 0x01,       // mov al, 1
            0xee,             // out dx, al   (ioeventfd, no exit)
            0xee,             // out dx, al   (ioeventfd, no exit)
            0x42,             // inc dx
            0xb0, 0x07,       // mov al, 7
            0xee,             // out dx, al   (matches: ioeventfd)
            0xb0, 0x08,       // mov al, 8
            0xee,             // out dx, al   (does not match: exits to the bus)
            0xf4,             // hlt
        ]);

        MachineExit exit = TestGuest.RunToExit(machine);

        Assert.Equal(MachineExitReason.Halted, exit.Reason);
        Assert.Equal(2UL, any.TryRead());
        Assert.Equal(1UL, matching.TryRead());
        var accesses = device.Accesses;
        var only = Assert.Single(accesses);
        Assert.Equal((true, 1UL), (only.Write, only.Offset));
        Assert.Equal(new byte[] { 8 }, only.Data);
    }

    [KvmFact]
    public void TwoVcpusRunAtTheSameTime()
    {
        using KvmSystem kvm = KvmSystem.Open();
        using Machine machine = TestGuest.Create(kvm, cpus: 2);
        var counter0 = new Vireo.Devices.CountingDevice();
        var counter1 = new Vireo.Devices.CountingDevice();
        machine.Pio.Insert(new PioAddress(0x700), 1, counter0, "cpu0");
        machine.Pio.Insert(new PioAddress(0x701), 1, counter1, "cpu1");
        // Each vCPU raises its own flag, then spins until it sees the other's: if the two did
        // not run concurrently, neither would halt.
        byte[] Handshake(byte mine, byte theirs, byte port) =>
        [
            0xc6, 0x04, 0x25, mine, 0x40, 0x00, 0x00, 0x01, // mov byte [0x40xx], 1
            0x80, 0x3c, 0x25, theirs, 0x40, 0x00, 0x00, 0x00, // cmp byte [0x40yy], 0
            0x74, 0xf6,                                     // je back to the cmp
            0x66, 0xba, port, 0x07,                         // mov dx, 0x07pp
            0xee,                                           // out dx, al
            0xf4,                                           // hlt
        ];
        TestGuest.LoadLongMode(machine, Handshake(0x00, 0x08, 0x00), vcpu: 0);
        TestGuest.LoadLongMode(machine, Handshake(0x08, 0x00, 0x01), vcpu: 1, address: new GuestAddress(0x11000));

        MachineExit exit = TestGuest.RunToExit(machine);

        Assert.Equal(MachineExitReason.Halted, exit.Reason);
        Assert.Equal(1, counter0.Writes);
        Assert.Equal(1, counter1.Writes);
    }

    [KvmFact]
    public void PauseStopsASpinningGuestAndResumeContinuesIt()
    {
        using KvmSystem kvm = KvmSystem.Open();
        using Machine machine = TestGuest.Create(kvm);
        TestGuest.LoadLongMode(machine,
        [
            0x48, 0xff, 0x04, 0x25, 0x00, 0x50, 0x00, 0x00, // 1: inc qword [0x5000]
            0xeb, 0xf6,                                     // jmp 1b
        ]);
        var counter = new GuestAddress(0x5000);
        machine.Start();
        WaitUntil(() => machine.Memory.Read<ulong>(counter) > 0);

        for (int round = 0; round < 5; round++)
        {
            machine.Pause();
            Assert.All(machine.Vcpus, v => Assert.Equal(VcpuRunState.Paused, v.State));
            ulong frozen = machine.Memory.Read<ulong>(counter);
            Thread.Sleep(30);
            Assert.Equal(frozen, machine.Memory.Read<ulong>(counter));

            machine.Resume();
            WaitUntil(() => machine.Memory.Read<ulong>(counter) > frozen);
        }

        machine.Stop();
        Assert.All(machine.Vcpus, v => Assert.Equal(VcpuStopReason.Requested, v.StopReason));
        Assert.Null(machine.WaitForExit(TimeSpan.FromMilliseconds(10)));
    }

    [KvmFact]
    public void PausingBetweenPortReadsLosesNoExit()
    {
        using KvmSystem kvm = KvmSystem.Open();
        using Machine machine = TestGuest.Create(kvm);
        var device = new Vireo.Devices.CountingDevice(readValue: 1);
        machine.Pio.Insert(new PioAddress(0x510), 1, device, "counter");
        const uint rounds = 20000;
        TestGuest.LoadLongMode(machine,
        [
            0xb9, 0x20, 0x4e, 0, 0,                         // mov ecx, 20000
            0x31, 0xdb,                                     // xor ebx, ebx
            0x66, 0xba, 0x10, 0x05,                         // mov dx, 0x510
            0xec,                                           // 1: in al, dx
            0x0f, 0xb6, 0xc0,                               // movzx eax, al
            0x01, 0xc3,                                     // add ebx, eax
            0xff, 0xc9,                                     // dec ecx
            0x75, 0xf6,                                     // jnz 1b
            0x89, 0x1c, 0x25, 0x00, 0x60, 0x00, 0x00,       // mov [0x6000], ebx
            0xf4,                                           // hlt
        ]);
        machine.Start();
        var exitTask = Task.Run(() => machine.WaitForExit(TimeSpan.FromSeconds(60)));
        while (!exitTask.IsCompleted)
        {
            machine.Pause();
            long reads = device.Reads;
            machine.Resume();
            // Let the guest take at least one more exit before the next pause: a host that
            // pauses again at once can keep a resumed vCPU from ever re-entering the guest
            // (its immediate_exit is set again before it gets there), which starved this
            // loop in about five runs of six on an idle 2-core box.
            SpinWait.SpinUntil(() => device.Reads != reads || exitTask.IsCompleted, TimeSpan.FromSeconds(5));
        }

        Assert.Equal(MachineExitReason.Halted, exitTask.Result?.Reason);
        Assert.Equal(rounds, machine.Memory.Read<uint>(new GuestAddress(0x6000)));
        Assert.Equal(rounds, device.Reads);
    }

    [KvmFact]
    public void ATripleFaultEndsTheRunAsShutdownWithoutCrashingTheVmm()
    {
        using KvmSystem kvm = KvmSystem.Open();
        using Machine machine = TestGuest.Create(kvm);
        // Long mode with an empty IDT: #UD from ud2 cannot be delivered -> triple fault.
        TestGuest.LoadLongMode(machine, [0x0f, 0x0b]);

        MachineExit exit = TestGuest.RunToExit(machine);

        Assert.True(exit.Reason is MachineExitReason.Shutdown or MachineExitReason.Failed, exit.ToString());
    }

    [KvmFact]
    public void ADeviceRequestingResetEndsTheRunWithTheFirstReason()
    {
        using KvmSystem kvm = KvmSystem.Open();
        using Machine machine = TestGuest.Create(kvm);
        TestGuest.LoadLongMode(machine, [0xeb, 0xfe]); // spin
        machine.Start();

        machine.RequestExit(MachineExitReason.Reset, "keyboard controller reset");
        machine.RequestExit(MachineExitReason.Stopped);
        MachineExit? exit = machine.WaitForExit(TimeSpan.FromSeconds(10));

        Assert.Equal(new MachineExit(MachineExitReason.Reset, "keyboard controller reset"), exit);
        Assert.All(machine.Vcpus, v => Assert.Equal(VcpuRunState.Stopped, v.State));
    }

    private static void WaitUntil(Func<bool> condition)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached in 10 s");
            Thread.Sleep(1);
        }
    }
}
