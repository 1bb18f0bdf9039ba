using System.Buffers.Binary;
using Vireo.Memory;
using Vireo.Pci;
using Vireo.TestSupport;
using Vireo.Virtio;

namespace Vireo.Vmm.Tests;

/// <summary>A virtio-rng function on a real machine: the test sets the device up as Linux's
/// virtio_pci would (through the function's config and BAR), the guest kicks the queue with one
/// store to its doorbell, and the device's worker serves it through the ioeventfd, with no
/// userspace exit, and raises its vector through the machine's MSI-X.</summary>
public sealed class VirtioGuestTests
{
    private const ulong Desc = 0x20000;
    private const ulong Avail = 0x21000;
    private const ulong Used = 0x22000;
    private const ulong Buffer = 0x30000;
    private const uint BufferLength = 64;

    [KvmFact]
    public void A_doorbell_store_is_served_by_the_worker_without_an_exit_and_raises_the_vector()
    {
        byte fill = 0;
        using var rng = new VirtioMachineFunction("rng0", new VirtioRng(span => span.Fill(++fill)));
        using var kvm = Vireo.Kvm.KvmSystem.Open();
        using BuiltMachine built = MachineBuilder.BuildBare(kvm, new MachineConfig
        {
            MemoryBytes = 4UL << 20,
            InKernelIrqchip = true,
            PciFunctions = [new PciAttachment(rng, Slot: 1)],
        });
        uint bar = checked((uint)built.Pci.BarAddress(1, VirtioPciFunction.BarIndex)!.Value);
        GuestMemory memory = built.Machine.Memory;
        // Vector 1 (the queue's) stays masked, so a signal shows as its pending bit.
        SetUpQueue(rng, memory, unmaskQueueVector: false);
        byte[] code =
        [
            0xbb, .. SlotGuestCode.Le(bar + VirtioPciFunction.NotifyOffset),   // mov ebx, queue 0's doorbell
            0x66, 0xc7, 0x03, 0x00, 0x00,                       // mov word [rbx], 0 (the kick)
            // spin: until used->idx is 1
            0x0f, 0xb7, 0x04, 0x25, .. SlotGuestCode.Le((uint)Used + 2),      // movzx eax, word [used.idx]
            0x83, 0xf8, 0x01,                                   // cmp eax, 1
            0x75, 0xf3,                                         // jne spin (back 13 bytes)
            .. SlotGuestCode.PowerOff(),
        ];
        TestGuest.LoadLongMode(built.Machine, code);

        MachineExit exit = TestGuest.RunToExit(built.Machine);

        Assert.Equal(MachineExitReason.PowerOff, exit.Reason);
        Assert.Equal(1, memory.Read<ushort>(new GuestAddress(Used + 2)));
        Assert.Equal(0u, memory.Read<uint>(new GuestAddress(Used + 4)));              // id: descriptor 0
        Assert.Equal(BufferLength, memory.Read<uint>(new GuestAddress(Used + 8)));   // len
        byte[] filled = new byte[BufferLength];
        memory.Read(new GuestAddress(Buffer), filled);
        Assert.All(filled, b => Assert.NotEqual(0, b));
        // The one exit is the S5 write: the kick went to the ioeventfd, not through the bus.
        Assert.Equal(1, built.Machine.Vcpus[0].ExitCount);
        // The device's signal of the masked vector reached the machine's MSI-X as a pending bit.
        Assert.True(SpinWait.SpinUntil(() => (ReadBar(rng, VirtioPciFunction.MsixPbaOffset, 8) & 2) != 0, TimeSpan.FromSeconds(5)),
            "the queue's vector never became pending");
        Assert.Equal("msix", rng.InterruptMode);
    }

    [KvmFact]
    public void A_reboot_gives_the_next_machine_a_fresh_transport_for_the_same_device()
    {
        using var rng = new VirtioMachineFunction("rng0", new VirtioRng());
        using var kvm = Vireo.Kvm.KvmSystem.Open();
        VirtioPciFunction first;
        using (BuiltMachine built = MachineBuilder.BuildBare(kvm, new MachineConfig
        {
            MemoryBytes = 4UL << 20,
            InKernelIrqchip = true,
            PciFunctions = [new PciAttachment(rng, Slot: 1)],
        }))
        {
            SetUpQueue(rng, built.Machine.Memory, unmaskQueueVector: true);
            first = rng.Transport;
            Assert.Equal(VirtioStatus.Acknowledge | VirtioStatus.Driver | VirtioStatus.FeaturesOk | VirtioStatus.DriverOk, first.Status);
        }

        Assert.NotSame(first, rng.Transport);
        Assert.Equal(VirtioStatus.None, rng.Transport.Status);
        Assert.Equal("none", rng.InterruptMode);
        using BuiltMachine second = MachineBuilder.BuildBare(kvm, new MachineConfig
        {
            MemoryBytes = 4UL << 20,
            InKernelIrqchip = true,
            PciFunctions = [new PciAttachment(rng, Slot: 1)],
        });
        SetUpQueue(rng, second.Machine.Memory, unmaskQueueVector: true);
        Assert.Equal(VirtioStatus.Acknowledge | VirtioStatus.Driver | VirtioStatus.FeaturesOk | VirtioStatus.DriverOk, rng.Transport.Status);
    }

    /// <summary>What Linux's virtio_pci_modern does before the first kick, through the function.</summary>
    private static void SetUpQueue(VirtioMachineFunction fn, GuestMemory memory, bool unmaskQueueVector)
    {
        // One device-writable descriptor offered in the available ring.
        memory.Write(new GuestAddress(Desc), new VirtqDescriptor { Address = Buffer, Length = BufferLength, Flags = VirtqDescriptor.FlagWrite });
        memory.Write(new GuestAddress(Avail), (ushort)0);          // flags
        memory.Write(new GuestAddress(Avail + 4), (ushort)0);      // ring[0] = descriptor 0
        memory.Write(new GuestAddress(Avail + 2), (ushort)1);      // idx

        Span<byte> command = stackalloc byte[2];
        fn.ReadConfig(PciConfigSpace.CommandOffset, command);
        command[0] |= (byte)PciConfigSpace.CommandBusMaster;           // pci_set_master
        fn.WriteConfig(PciConfigSpace.CommandOffset, command);
        WriteBar(fn, 0x14, 1, 1 | 2);                               // ACKNOWLEDGE | DRIVER
        WriteBar(fn, 0x08, 4, 1);                                   // driver_feature_select = 1
        WriteBar(fn, 0x0c, 4, 1);                                   // VIRTIO_F_VERSION_1
        WriteBar(fn, 0x14, 1, 1 | 2 | 8);                           // FEATURES_OK
        int msix = PciCapabilities.Find(fn, PciConfigSpace.MsixCapabilityId);
        Assert.NotEqual(0, msix);
        Span<byte> control = stackalloc byte[2];
        fn.ReadConfig(msix + 2, control);
        control[1] |= 0x80;                                         // MSI-X Enable
        fn.WriteConfig(msix + 2, control);
        for (uint v = 0; v < 2; v++)
        {
            ulong entry = VirtioPciFunction.MsixTableOffset + (v * 16);
            WriteBar(fn, entry, 4, 0xfee0_0000);
            WriteBar(fn, entry + 8, 4, 0x30 + v);
            WriteBar(fn, entry + 12, 4, v == 1 && !unmaskQueueVector ? 1u : 0u);
        }
        WriteBar(fn, 0x10, 2, 0);                                   // msix_config = 0
        WriteBar(fn, 0x16, 2, 0);                                   // queue_select = 0
        WriteBar(fn, 0x18, 2, 8);                                   // queue_size
        WriteBar(fn, 0x1a, 2, 1);                                   // queue_msix_vector = 1
        WriteBar(fn, 0x20, 8, Desc);
        WriteBar(fn, 0x28, 8, Avail);
        WriteBar(fn, 0x30, 8, Used);
        WriteBar(fn, 0x1c, 2, 1);                                   // queue_enable
        WriteBar(fn, 0x14, 1, 1 | 2 | 8 | 4);                       // DRIVER_OK
    }

    private static void WriteBar(IPciFunction fn, ulong offset, int size, ulong value)
    {
        Span<byte> data = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(data, value);
        fn.WriteBar(VirtioPciFunction.BarIndex, offset, data[..size]);
    }

    private static ulong ReadBar(IPciFunction fn, ulong offset, int size)
    {
        Span<byte> data = stackalloc byte[8];
        data.Clear();
        fn.ReadBar(VirtioPciFunction.BarIndex, offset, data[..size]);
        return BinaryPrimitives.ReadUInt64LittleEndian(data);
    }
}
