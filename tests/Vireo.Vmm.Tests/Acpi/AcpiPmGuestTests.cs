using Vireo.Devices;
using Vireo.Kvm;
using Vireo.Memory;
using Vireo.TestSupport;

namespace Vireo.Vmm.Tests;

/// <summary>The PM device on a real machine's port bus at the ports the FADT names, driven by
/// guest IN/OUT instructions the way ACPICA drives it.</summary>
public sealed class AcpiPmGuestTests
{
    [KvmFact]
    public void GuestPortIoReachesThePmBlockAndS5PowersTheMachineOff()
    {
        using KvmSystem kvm = KvmSystem.Open();
        using Machine machine = TestGuest.Create(kvm);
        var sci = new RecordingSci();
        using var pm = new AcpiPmDevice(sci);
        var platform = new AcpiPlatform(1, [pm]);
        machine.Pio.Insert(platform.PmBase, AcpiPmDevice.WindowLength, pm, "acpi-pm");
        pm.PowerOffRequested += () => machine.RequestExit(MachineExitReason.PowerOff, "ACPI S5");
        pm.PressPowerButton();
        TestGuest.LoadRealMode(machine,
        [
            0xba, 0x02, 0x06,       // mov dx, 0x602 (PM1_EN)
            0xb8, 0x00, 0x01,       // mov ax, 0x0100 (PWRBTN_EN)
            0xef,                   // out dx, ax
            0xba, 0x00, 0x06,       // mov dx, 0x600 (PM1_STS)
            0x66, 0xed,             // in eax, dx
            0x66, 0xa3, 0x00, 0x20, // mov [0x2000], eax
            0xba, 0x08, 0x06,       // mov dx, 0x608 (PM_TMR)
            0x66, 0xed,             // in eax, dx
            0x66, 0xa3, 0x04, 0x20, // mov [0x2004], eax
            0xba, 0x01, 0x06,       // mov dx, 0x601 (PM1_STS high byte)
            0xb0, 0x01,             // mov al, 0x01 (PWRBTN_STS)
            0xee,                   // out dx, al
            0xba, 0x04, 0x06,       // mov dx, 0x604 (PM1_CNT)
            0xb8, 0x00, 0x3c,       // mov ax, 0x3c00 (SLP_TYP 7, SLP_EN)
            0xef,                   // out dx, ax
            0xeb, 0xfe,             // jmp $ (only the power-off request ends the run)
        ]);

        MachineExit exit = TestGuest.RunToExit(machine);

        Assert.Equal(MachineExitReason.PowerOff, exit.Reason);
        Assert.Equal(0x0100_0100u, machine.Memory.Read<uint>(new GuestAddress(0x2000)));
        Assert.True(machine.Memory.Read<uint>(new GuestAddress(0x2004)) < 1u << 24);
        // Raised when the guest enabled the pending power button, dropped when it cleared it.
        Assert.Equal([true, false], sci.Levels);
    }
}
