using System.Buffers.Binary;

namespace Vireo.Loader.Fuzz;

/// <summary>One seed: its file name in the corpus, its bytes, and whether the loader must load
/// it (the rest it must refuse with a <see cref="KernelImageException"/>).</summary>
public sealed record BzImageSeed(string Name, byte[] Bytes, bool Loads);

/// <summary>
/// Starting points for <see cref="BzImageTarget"/>: minimal images with setup headers as
/// Documentation/arch/x86/boot.rst lays them out, for boot protocols 2.06 to 2.15, relocatable
/// or not, with and without the 64-bit entry, with a tiny payload; each with a guest RAM size,
/// an initramfs size and a command line. Those from 2.12 on with XLF_KERNEL_64 load; the older
/// ones and the 32-bit-only ones are refused, and show afl which header bits matter.
/// </summary>
public static class BzImageSeeds
{
    private const int MiB = 1 << 20;

    // Setup header fields (boot.rst, "THE REAL-MODE KERNEL HEADER").
    private const int SetupSects = 0x1f1;
    private const int Syssize = 0x1f4;
    private const int BootFlag = 0x1fe;
    private const int Jump = 0x200;
    private const int Header = 0x202;
    private const int Version = 0x206;
    private const int Loadflags = 0x211;
    private const int Code32Start = 0x214;
    private const int InitrdAddrMax = 0x22c;
    private const int KernelAlignment = 0x230;
    private const int RelocatableKernel = 0x234;
    private const int MinAlignment = 0x235;
    private const int Xloadflags = 0x236;
    private const int CmdlineSize = 0x238;
    private const int PayloadOffset = 0x248;
    private const int PayloadLength = 0x24c;
    private const int PrefAddress = 0x258;
    private const int InitSize = 0x260;

    private const byte LoadedHigh = 0x01;
    private const ushort XlfKernel64 = 0x01;
    private const ushort XlfCanBeLoadedAbove4G = 0x02;

    public static IEnumerable<BzImageSeed> All()
    {
        // Protocols before 2.12 have no xloadflags: refused for the 64-bit entry.
        yield return new("refused-2.06-old-protocol.bin", Input(0x0206, relocatable: false, xloadflags: 0, memoryMiB: 64, initramfs: 4096, cmdline: 20), false);
        yield return new("refused-2.10-old-protocol.bin", Input(0x020a, relocatable: true, xloadflags: 0, memoryMiB: 64, initramfs: 0, cmdline: 20), false);
        // 2.12 and on, 64-bit: each loads.
        yield return new("loads-2.12-relocatable.bin", Input(0x020c, relocatable: true, xloadflags: XlfKernel64, memoryMiB: 32, initramfs: 8192, cmdline: 30), true);
        yield return new("loads-2.13-fixed.bin", Input(0x020d, relocatable: false, xloadflags: XlfKernel64, memoryMiB: 16, initramfs: 0, cmdline: 0), true);
        yield return new("loads-2.14-above-4g.bin", Input(0x020e, relocatable: true, xloadflags: XlfKernel64 | XlfCanBeLoadedAbove4G, memoryMiB: 128, initramfs: 100_000, cmdline: 200), true);
        yield return new("loads-2.15-setup-sects-0.bin", Input(0x020f, relocatable: true, xloadflags: XlfKernel64 | XlfCanBeLoadedAbove4G, memoryMiB: 64, initramfs: 3 * 4096, cmdline: 2047, setupSects: 0), true);
        yield return new("loads-2.15-split-ram.bin", Input(0x020f, relocatable: true, xloadflags: XlfKernel64 | XlfCanBeLoadedAbove4G, memoryMiB: 3 * 1024 + 512, initramfs: 2 * MiB, cmdline: 64, initrdAddrMax: 0xffffffff), true);
        yield return new("loads-2.15-low-initrd-max.bin", Input(0x020f, relocatable: true, xloadflags: XlfKernel64, memoryMiB: 512, initramfs: MiB, cmdline: 64, initrdAddrMax: 0x37ffffff), true);
        // 2.12 and on, without XLF_KERNEL_64 or LOADED_HIGH: refused.
        yield return new("refused-2.12-32-bit-only.bin", Input(0x020c, relocatable: true, xloadflags: 0, memoryMiB: 64, initramfs: 0, cmdline: 10), false);
        yield return new("refused-2.15-zimage.bin", Input(0x020f, relocatable: true, xloadflags: XlfKernel64, memoryMiB: 64, initramfs: 0, cmdline: 10, loadflags: 0), false);
        // Loadable images in a guest too small for them, or with too much to carry.
        yield return new("refused-ram-below-init-size.bin", Input(0x020f, relocatable: true, xloadflags: XlfKernel64, memoryMiB: 1, initramfs: 0, cmdline: 10), false);
        yield return new("refused-initramfs-too-big.bin", Input(0x020f, relocatable: true, xloadflags: XlfKernel64, memoryMiB: 4, initramfs: 3 * MiB, cmdline: 10), false);
        yield return new("refused-cmdline-too-long.bin", Input(0x020f, relocatable: true, xloadflags: XlfKernel64, memoryMiB: 64, initramfs: 0, cmdline: 300, cmdlineSize: 255), false);
    }

    /// <summary>The choices (<see cref="BzImageTarget"/>'s first bytes) and a minimal bzImage:
    /// the boot sector with the setup header, <paramref name="setupSects"/> setup sectors (0
    /// means 4), and a 4 KiB protected-mode "kernel" whose init_size asks for 1 MiB more.</summary>
    private static byte[] Input(ushort version, bool relocatable, ushort xloadflags, int memoryMiB, int initramfs, int cmdline,
        byte setupSects = 1, byte loadflags = LoadedHigh, uint initrdAddrMax = 0x7fffffff, uint cmdlineSize = 2048)
    {
        const int PayloadBytes = 4096;
        int kernelOffset = ((setupSects == 0 ? 4 : setupSects) + 1) * 512;
        byte[] bytes = new byte[BzImageTarget.ChoiceBytes + kernelOffset + PayloadBytes];
        Span<byte> c = bytes;
        BinaryPrimitives.WriteUInt16LittleEndian(c, (ushort)((memoryMiB * 8) - 1)); // 128 KiB units
        c[2] = (byte)initramfs;
        c[3] = (byte)(initramfs >> 8);
        c[4] = (byte)(initramfs >> 16);
        c[5] = (byte)cmdline;
        c[6] = (byte)(cmdline >> 8);
        c[7] = (byte)(cmdline >> 16);
        c[8] = (byte)('a' - ' ');

        Span<byte> s = c[BzImageTarget.ChoiceBytes..];
        s[SetupSects] = setupSects;
        BinaryPrimitives.WriteUInt32LittleEndian(s[Syssize..], PayloadBytes / 16);
        BinaryPrimitives.WriteUInt16LittleEndian(s[BootFlag..], 0xaa55);
        s[Jump] = 0xeb; // jmp short over the header, as a real image has
        s[Jump + 1] = 0x66;
        BinaryPrimitives.WriteUInt32LittleEndian(s[Header..], 0x53726448); // "HdrS"
        BinaryPrimitives.WriteUInt16LittleEndian(s[Version..], version);
        s[Loadflags] = loadflags;
        BinaryPrimitives.WriteUInt32LittleEndian(s[Code32Start..], 0x100000);
        BinaryPrimitives.WriteUInt32LittleEndian(s[InitrdAddrMax..], initrdAddrMax);
        BinaryPrimitives.WriteUInt32LittleEndian(s[KernelAlignment..], 0x200000);
        s[RelocatableKernel] = relocatable ? (byte)1 : (byte)0;
        s[MinAlignment] = 21;
        BinaryPrimitives.WriteUInt16LittleEndian(s[Xloadflags..], xloadflags);
        BinaryPrimitives.WriteUInt32LittleEndian(s[CmdlineSize..], cmdlineSize);
        BinaryPrimitives.WriteUInt32LittleEndian(s[PayloadOffset..], 0x100);
        BinaryPrimitives.WriteUInt32LittleEndian(s[PayloadLength..], 0x400);
        BinaryPrimitives.WriteUInt64LittleEndian(s[PrefAddress..], 0x1000000);
        BinaryPrimitives.WriteUInt32LittleEndian(s[InitSize..], 0x100000);
        for (int i = kernelOffset; i < s.Length; i++)
        {
            s[i] = (byte)(i * 13);
        }
        return bytes;
    }
}
