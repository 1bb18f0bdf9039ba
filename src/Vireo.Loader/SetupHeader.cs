using System.Runtime.InteropServices;

namespace Vireo.Loader;

/// <summary>struct setup_header (asm/bootparam.h), found at offset 0x1f1 of a bzImage and of
/// boot_params. Field meanings: Documentation/arch/x86/boot.rst.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal struct SetupHeader
{
    public byte SetupSects;
    public ushort RootFlags;
    public uint Syssize;
    public ushort RamSize;
    public ushort VidMode;
    public ushort RootDev;
    public ushort BootFlag;
    public ushort Jump;
    public uint Header;
    public ushort Version;
    public uint RealmodeSwtch;
    public ushort StartSysSeg;
    public ushort KernelVersion;
    public byte TypeOfLoader;
    public byte Loadflags;
    public ushort SetupMoveSize;
    public uint Code32Start;
    public uint RamdiskImage;
    public uint RamdiskSize;
    public uint BootsectKludge;
    public ushort HeapEndPtr;
    public byte ExtLoaderVer;
    public byte ExtLoaderType;
    public uint CmdLinePtr;
    public uint InitrdAddrMax;
    public uint KernelAlignment;
    public byte RelocatableKernel;
    public byte MinAlignment;
    public ushort Xloadflags;
    public uint CmdlineSize;
    public uint HardwareSubarch;
    public ulong HardwareSubarchData;
    public uint PayloadOffset;
    public uint PayloadLength;
    public ulong SetupData;
    public ulong PrefAddress;
    public uint InitSize;
    public uint HandoverOffset;
    public uint KernelInfoOffset;
}
