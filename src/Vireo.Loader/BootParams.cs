using System.Runtime.InteropServices;

namespace Vireo.Loader;

/// <summary>struct boot_params, "the zero page" (asm/bootparam.h): only the fields a VMM fills
/// are named; the rest stays zero as the boot protocol asks.</summary>
[StructLayout(LayoutKind.Explicit, Size = 4096)]
internal struct BootParams
{
    public const int E820MaxEntries = 128;

    [FieldOffset(0x070)]
    public ulong AcpiRsdpAddr;

    [FieldOffset(0x0c0)]
    public uint ExtRamdiskImage;

    [FieldOffset(0x0c4)]
    public uint ExtRamdiskSize;

    [FieldOffset(0x0c8)]
    public uint ExtCmdLinePtr;

    [FieldOffset(0x1e8)]
    public byte E820Entries;

    [FieldOffset(0x1f1)]
    public SetupHeader Hdr;

    [FieldOffset(0x2d0)]
    public E820Table E820;
}
