using System.Runtime.InteropServices;

namespace Vireo.Loader;

/// <summary>struct boot_e820_entry (asm/bootparam.h): one range of the BIOS memory map.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct E820Entry
{
    /// <summary>The range's first address.</summary>
    public ulong Address;
    /// <summary>The range's length in bytes.</summary>
    public ulong Size;
    /// <summary>What the range is.</summary>
    public E820Type Type;
}
