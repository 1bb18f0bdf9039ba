using System.Buffers.Binary;
using Vireo.Memory;
using Vireo.SampleDevice;
using Vireo.TestSupport;
using Vireo.VfioUser;

namespace Vireo.Vmm.Tests;

/// <summary>Guest code reaches the sample accelerator, served in-process over vfio-user, through
/// real vCPU exits: ECAM config reads, trapped BAR0 registers (MMIO exit → proxy → REGION_READ/
/// WRITE → server), and BAR2's buffer, which the VMM maps into the guest so writes there never exit.</summary>
public sealed class VfioUserPciGuestTests
{
    [KvmFact]
    public void Guest_code_reads_the_devices_ids_and_registers_and_writes_its_mapped_buffer()
    {
        using var server = new SampleAcceleratorServer();
        using VfioPciFunction fn = VfioPciFunction.Open(VfioUserClient.Open(server.ClientEnd), "sample");
        using var kvm = Vireo.Kvm.KvmSystem.Open();
        using BuiltMachine built = MachineBuilder.BuildBare(kvm, new MachineConfig
        {
            MemoryBytes = 4UL << 20,
            // A bound function's interrupts go through the in-kernel irqchip (irqfd, resample).
            InKernelIrqchip = true,
            PciFunctions = [new PciAttachment(fn, Slot: 1)],
        });
        uint bar0 = checked((uint)built.Pci.BarAddress(1, 0)!.Value);
        uint bar2 = checked((uint)built.Pci.BarAddress(1, 2)!.Value);
        byte[] code =
        [
            0xbb, .. Le(0xe000_8000),                      // mov ebx, ECAM 00:01.0
            0x8b, 0x03,                                     // mov eax, [rbx]
            0x89, 0x04, 0x25, .. Le(0x3000),                // mov [0x3000], eax
            0xbb, .. Le(bar0),                              // mov ebx, BAR0
            0x8b, 0x03,                                     // mov eax, [rbx] (ID)
            0x89, 0x04, 0x25, .. Le(0x3004),                // mov [0x3004], eax
            0xc7, 0x43, 0x2c, .. Le(0x1234_5678),           // mov dword [rbx+0x2c], 0x12345678 (SCRATCH)
            0x8b, 0x43, 0x2c,                               // mov eax, [rbx+0x2c]
            0x89, 0x04, 0x25, .. Le(0x3008),                // mov [0x3008], eax
            0xbb, .. Le(bar2),                              // mov ebx, BAR2
            0xc7, 0x83, .. Le(0x100), .. Le(0xcafe_f00d),   // mov dword [rbx+0x100], 0xcafef00d (buffer)
            // With the in-kernel irqchip HLT never exits: end by entering ACPI S5 instead.
            0x66, 0xba, .. Le16(Pm1Control),                // mov dx, PM1a_CNT
            0x66, 0xb8, .. Le16(SleepS5),                   // mov ax, SLP_TYP=S5 | SLP_EN
            0x66, 0xef,                                     // out dx, ax
            0xf4,                                           // hlt (not reached)
        ];
        TestGuest.LoadLongMode(built.Machine, code);

        MachineExit exit = TestGuest.RunToExit(built.Machine);

        Assert.Equal(MachineExitReason.PowerOff, exit.Reason);
        GuestMemory memory = built.Machine.Memory;
        Assert.Equal(0x10f1_1af4u, memory.Read<uint>(new GuestAddress(0x3000)));
        Assert.Equal(AcceleratorDevice.Id, memory.Read<uint>(new GuestAddress(0x3004)));
        Assert.Equal(0x1234_5678u, memory.Read<uint>(new GuestAddress(0x3008)));
        // The guest's write landed in the server's own buffer memory.
        Assert.Equal(0xcafe_f00du, fn.Device.ReadRegionU32(AcceleratorDevice.BufferBar, 0x100));
        Assert.True(fn.IsAlive);
    }

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
