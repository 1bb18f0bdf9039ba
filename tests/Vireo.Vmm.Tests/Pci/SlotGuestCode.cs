using System.Buffers.Binary;
using Vireo.Devices;

namespace Vireo.Vmm.Tests;

/// <summary>x86-64 guest code that plays a slot's AML and a guest's PCI accesses: the bytes the
/// ACPI methods write to a <see cref="SlotPowerDevice"/>, config mechanism #1 reads and BAR
/// accesses, each result stored at a guest address the test reads back.</summary>
internal static class SlotGuestCode
{
    /// <summary>mov dx, port; mov al, value; out dx, al.</summary>
    public static byte[] Out(ushort port, byte value) => [0x66, 0xba, (byte)port, (byte)(port >> 8), 0xb0, value, 0xee];

    /// <summary>mov dx, port; in al, dx; mov [address], al.</summary>
    public static byte[] InToMemory(ushort port, uint address) => [0x66, 0xba, (byte)port, (byte)(port >> 8), 0xec, 0x88, 0x04, 0x25, .. Le(address)];

    /// <summary>mov dx, port; in ax, dx; mov [address], ax.</summary>
    public static byte[] InWordToMemory(ushort port, uint address) => [0x66, 0xba, (byte)port, (byte)(port >> 8), 0x66, 0xed, 0x66, 0x89, 0x04, 0x25, .. Le(address)];

    /// <summary>A config dword of bus 0 through 0xCF8/0xCFC, as Linux's pci_conf1_read: mov dx,
    /// 0xcf8; mov eax, CONFIG_ADDRESS; out dx, eax; mov dx, 0xcfc; in eax, dx; mov [address], eax.</summary>
    public static byte[] ConfigReadToMemory(int slot, int register, uint address)
    {
        uint configAddress = 0x8000_0000u | ((uint)slot << 11) | ((uint)register & 0xfc);
        return [0x66, 0xba, 0xf8, 0x0c, 0xb8, .. Le(configAddress), 0xef, 0x66, 0xba, 0xfc, 0x0c, 0xed, 0x89, 0x04, 0x25, .. Le(address)];
    }

    /// <summary>mov ebx, from; mov eax, [rbx]; mov [address], eax.</summary>
    public static byte[] ReadToMemory(uint from, uint address) => [0xbb, .. Le(from), 0x8b, 0x03, 0x89, 0x04, 0x25, .. Le(address)];

    /// <summary>mov ebx, to; mov dword [rbx], value.</summary>
    public static byte[] Write(uint to, uint value) => [0xbb, .. Le(to), 0xc7, 0x03, .. Le(value)];

    /// <summary>ACPI S5 through PM1a_CNT, then hlt (not reached): with the in-kernel irqchip HLT
    /// never exits, so guest code ends this way.</summary>
    public static byte[] PowerOff()
    {
        ushort pm1Control = checked((ushort)(AcpiPlatform.DefaultPmBase.Value + AcpiPmDevice.Pm1ControlOffset));
        const ushort sleepS5 = (AcpiPmDevice.S5SleepType << 10) | (1 << 13);
        return [0x66, 0xba, (byte)pm1Control, (byte)(pm1Control >> 8), 0x66, 0xb8, unchecked((byte)sleepS5), (byte)(sleepS5 >> 8), 0x66, 0xef, 0xf4];
    }

    public static byte[] Le(uint value)
    {
        byte[] bytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        return bytes;
    }
}
