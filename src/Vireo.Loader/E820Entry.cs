using System.Runtime.InteropServices;

namespace Vireo.Loader;

/// <summary>struct boot_e820_entry (asm/bootparam.h): one range of the BIOS memory map.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct E820Entry
{
    public ulong Address;
    public ulong Size;
    public E820Type Type;
}
