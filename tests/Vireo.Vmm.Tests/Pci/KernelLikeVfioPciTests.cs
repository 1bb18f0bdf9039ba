using System.Buffers.Binary;
using Vireo.Memory;
using Vireo.Pci;
using Vireo.Sys;
using Vireo.TestSupport;

namespace Vireo.Vmm.Tests;

/// <summary>The PCI glue is one for every <see cref="VfioUser.IVfioDevice"/> backend: a device
/// that behaves as kernel VFIO does (private RAM pinned by host address, a device file to mmap,
/// no ioeventfds) is built, bound and reached by guest code like a vfio-user one.</summary>
public sealed class KernelLikeVfioPciTests
{
    [Fact]
    public void A_device_file_region_is_mapped_without_the_memfd_size_check()
    {
        var device = new KernelLikeVfioDevice();
        using VfioPciFunction fn = VfioPciFunction.Open(device, "edu");
        PciBarDescriptor bar2 = fn.Bars.Single(b => b.Index == 2);

        // /dev/zero reports size 0: a sized-file check would refuse it, as it must refuse a short memfd.
        using MappedMemory mapping = fn.MapArea(2, Assert.Single(bar2.MmapAreas));

        Assert.Equal("vfio (test)", fn.Backend);
        Assert.False(fn.NeedsSharedMemory);
        Assert.Equal(KernelLikeVfioDevice.Vendor, fn.VendorId);
    }

    [KvmFact]
    public void Guest_ram_stays_private_and_is_dma_mapped_by_host_address_and_guest_code_reaches_bar0()
    {
        var device = new KernelLikeVfioDevice();
        using VfioPciFunction fn = VfioPciFunction.Open(device, "edu");
        using var kvm = Vireo.Kvm.KvmSystem.Open();
        using BuiltMachine built = Build(kvm, fn);
        uint bar0 = checked((uint)built.Pci.BarAddress(3, 0)!.Value);
        byte[] code =
        [
            0xbb, .. Le(bar0),                              // mov ebx, BAR0
            0x8b, 0x03,                                     // mov eax, [rbx] (identification)
            0x89, 0x04, 0x25, .. Le(0x3000),                // mov [0x3000], eax
            0xc7, 0x43, 0x04, .. Le(0x1234_5678),           // mov dword [rbx+4], 0x12345678
            0x66, 0xba, .. Le16(Pm1Control),                // mov dx, PM1a_CNT
            0x66, 0xb8, .. Le16(SleepS5),                   // mov ax, SLP_TYP=S5 | SLP_EN
            0x66, 0xef,                                     // out dx, ax
            0xf4,                                           // hlt (not reached)
        ];
        TestGuest.LoadLongMode(built.Machine, code);

        MachineExit exit = TestGuest.RunToExit(built.Machine);

        Assert.Equal(MachineExitReason.PowerOff, exit.Reason);
        Assert.Equal(KernelLikeVfioDevice.IdRegister, built.Machine.Memory.Read<uint>(new GuestAddress(0x3000)));
        Assert.Equal(0x1234_5678u, device.Bar0Register(4));
        // Every RAM region was given by its host mapping, with no memfd behind it.
        GuestRegion[] ram = [.. built.Machine.Memory.Regions];
        Assert.Equal(ram.Length, device.Mapped.Count);
        Assert.All(ram, r => Assert.Null(r.Fd));
        Assert.Equal(
            ram.Select(r => (r.Start.Value, r.Size, r.DangerousGetHostAddress())),
            device.Mapped.Select(m => (m.Iova, m.Size, m.HostAddress)));
        Assert.Equal("vfio (test)", Assert.Single(built.DescribePciDevices(), d => d.Backend != "emulated").Backend);
    }

    [KvmFact]
    public void Switching_between_intx_and_msi_disables_the_old_index_before_enabling_the_new_one()
    {
        var device = new KernelLikeVfioDevice();
        using VfioPciFunction fn = VfioPciFunction.Open(device, "edu");
        using var kvm = Vireo.Kvm.KvmSystem.Open();
        using BuiltMachine built = Build(kvm, fn);
        Assert.Equal(VfioUser.VfioIrqIndex.Intx, device.Live);
        device.IrqLog.Clear();

        // The guest enables MSI (control bit 0), then turns it off again.
        fn.WriteConfig(0x42, [0x01, 0x00]);
        Assert.Equal(VfioUser.VfioIrqIndex.Msi, device.Live);
        fn.WriteConfig(0x42, [0x00, 0x00]);

        Assert.Equal(["disable Intx", "set Msi", "disable Msi", "set Intx", "unmask-fd Intx"], device.IrqLog);
        Assert.Equal(VfioUser.VfioIrqIndex.Intx, device.Live);
        Assert.True(fn.IsAlive);
    }

    [KvmFact]
    public void Low_power_traps_the_mapped_bar_and_a_wake_brings_the_device_back_and_is_reported()
    {
        var device = new KernelLikeVfioDevice();
        using VfioPciFunction fn = VfioPciFunction.Open(device, "edu");
        using var kvm = Vireo.Kvm.KvmSystem.Open();
        using BuiltMachine built = Build(kvm, fn);
        var reported = new List<string>();
        using var woke = new ManualResetEventSlim();
        built.ObservePciDevicePower(e =>
        {
            lock (reported)
            {
                reported.Add($"{e.Id} {e.Kind} {e.Cause}");
            }
            woke.Set();
        });
        uint bar2 = checked((uint)built.Pci.BarAddress(3, 2)!.Value);

        fn.EnterLowPower();

        Assert.Equal("low-power", fn.PowerState);
        Assert.Equal(["entry-wakeup"], device.PowerLog);
        Assert.Equal("low-power", Assert.Single(built.DescribePciDevices(), d => d.Id == "edu").Power);
        // While low, the BAR's mmap'd area is out of the guest's map: a guest write to it traps to the device.
        byte[] code =
        [
            0xbb, .. Le(bar2),                              // mov ebx, BAR2
            0xc7, 0x43, 0x10, .. Le(0x1234_5678),           // mov dword [rbx+0x10], 0x12345678
            0x66, 0xba, .. Le16(Pm1Control),                // mov dx, PM1a_CNT
            0x66, 0xb8, .. Le16(SleepS5),                   // mov ax, SLP_TYP=S5 | SLP_EN
            0x66, 0xef,                                     // out dx, ax
            0xf4,
        ];
        TestGuest.LoadLongMode(built.Machine, code);
        Assert.Equal(MachineExitReason.PowerOff, TestGuest.RunToExit(built.Machine).Reason);
        Assert.Equal(1, device.Bar2Writes);

        // The kernel signals the one-shot wake eventfd when an access wakes the device.
        device.Wake!.Signal();

        Assert.True(woke.Wait(TimeSpan.FromSeconds(10)), "the wake was not reported");
        Assert.Equal("active", fn.PowerState);
        Assert.Equal(["edu Wake device"], reported);
        Assert.Equal(["entry-wakeup"], device.PowerLog);
        fn.ExitLowPower(); // active already, but the entry is still closed with an exit
        fn.ExitLowPower(); // and only once
        Assert.Equal(["entry-wakeup", "exit"], device.PowerLog);
    }

    [KvmFact]
    public void An_explicit_exit_tells_the_device_and_a_device_without_the_feature_is_refused()
    {
        var device = new KernelLikeVfioDevice();
        using VfioPciFunction fn = VfioPciFunction.Open(device, "edu");
        using var kvm = Vireo.Kvm.KvmSystem.Open();
        using (BuiltMachine built = Build(kvm, fn))
        {
            fn.EnterLowPower();
            fn.EnterLowPower(); // low already
            fn.ExitLowPower();
            Assert.Equal("active", fn.PowerState);
            Assert.Equal(["entry-wakeup", "exit"], device.PowerLog);

            fn.EnterLowPower();
        }
        // The machine went while the device was low: it was brought back for the next one.
        Assert.Equal(["entry-wakeup", "exit", "entry-wakeup", "exit"], device.PowerLog);
        Assert.Equal("active", fn.PowerState);

        device.SupportsLowPower = false;
        using BuiltMachine next = Build(kvm, fn);
        var e = Assert.Throws<InvalidOperationException>(() => fn.EnterLowPower());
        Assert.Contains("does not support low power entry", e.Message);
        Assert.Equal("active", fn.PowerState);
    }

    [KvmFact]
    public void Twenty_wake_cycles_share_one_events_thread_and_wake_eventfd_and_a_late_signal_is_not_the_next_entrys_wake()
    {
        const string id = "cyc20";
        var device = new KernelLikeVfioDevice();
        using VfioPciFunction fn = VfioPciFunction.Open(device, id);
        using var kvm = Vireo.Kvm.KvmSystem.Open();
        EventFd? first = null;
        using (BuiltMachine built = Build(kvm, fn))
        {
            int wakes = 0;
            built.ObservePciDevicePower(e =>
            {
                if (e.Kind == DevicePowerEventKind.Wake)
                {
                    Interlocked.Increment(ref wakes);
                }
            });
            Assert.Equal(1, ThreadsNamed($"events-{id}"));
            for (int i = 1; i <= 20; i++)
            {
                Assert.True(fn.EnterLowPower(), "the device offers the wakeup form");
                first ??= device.Wake;
                Assert.Same(first, device.Wake);
                device.Wake!.Signal();
                Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref wakes) == i, TimeSpan.FromSeconds(10)), $"wake {i} was not reported");
                Assert.Equal("active", fn.PowerState);
                fn.ExitLowPower();
            }
            Assert.Equal(1, ThreadsNamed($"events-{id}"));

            // A device that signals after its exit: the next entry drains it, and waits for its own.
            device.Wake!.Signal();
            Assert.True(fn.EnterLowPower());
            Thread.Sleep(200);
            Assert.Equal("low-power", fn.PowerState);
            Assert.Equal(20, Volatile.Read(ref wakes));
            device.Wake.Signal();
            Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref wakes) == 21, TimeSpan.FromSeconds(10)), "the entry's own wake was not reported");
        }
        // The machine went: the thread ended and closed the binding's wake eventfd.
        Assert.True(SpinWait.SpinUntil(() => ThreadsNamed($"events-{id}") == 0 && first!.Handle.IsClosed, TimeSpan.FromSeconds(10)), "the events thread outlived its machine");
    }

    [KvmFact]
    public void A_machine_disposed_twice_is_torn_down_once()
    {
        var device = new KernelLikeVfioDevice();
        using VfioPciFunction fn = VfioPciFunction.Open(device, "twice");
        using var kvm = Vireo.Kvm.KvmSystem.Open();
        BuiltMachine built = Build(kvm, fn);

        built.Dispose();
        // The second once read the coalesced-write ring's unmapped page (an access violation
        // that took the process down).
        built.Dispose();
        built.Machine.Stop();

        Assert.Equal("active", fn.PowerState);
    }

    /// <summary>This process's threads whose kernel name (/proc/self/task/N/comm, 15 bytes) is <paramref name="name"/>.</summary>
    private static int ThreadsNamed(string name) =>
        Directory.GetDirectories("/proc/self/task").Count(t =>
        {
            try
            {
                return File.ReadAllText(Path.Combine(t, "comm")).TrimEnd('\n') == name;
            }
            catch (IOException)
            {
                return false; // the thread ended while we looked
            }
        });

    /// <summary>A bare machine with the in-kernel irqchip (the function's interrupts need it) and
    /// <paramref name="fn"/> in slot 3.</summary>
    private static BuiltMachine Build(Vireo.Kvm.KvmSystem kvm, VfioPciFunction fn) => MachineBuilder.BuildBare(kvm, new MachineConfig
    {
        MemoryBytes = 4UL << 20,
        InKernelIrqchip = true,
        PciFunctions = [new PciAttachment(fn, Slot: 3)],
    });

    private static readonly ushort Pm1Control = checked((ushort)(AcpiPlatform.DefaultPmBase.Value + Vireo.Devices.AcpiPmDevice.Pm1ControlOffset));
    private const ushort SleepS5 = (Vireo.Devices.AcpiPmDevice.S5SleepType << 10) | (1 << 13);

    private static byte[] Le16(ushort value) => [(byte)value, (byte)(value >> 8)];

    private static byte[] Le(uint value)
    {
        byte[] bytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        return bytes;
    }
}
