using System.Buffers.Binary;
using System.Text;
using Vireo.Memory;

namespace Vireo.Loader.Fuzz;

/// <summary>What <see cref="BzImageTarget.Run"/> did with one input.</summary>
public enum BzImageOutcome
{
    /// <summary>The input is shorter than its choices: nothing was tried.</summary>
    TooShort,

    /// <summary>The loader refused the image or the machine with its documented <see cref="KernelImageException"/>.</summary>
    Refused,

    /// <summary>The loader placed everything, and every invariant held.</summary>
    Loaded,
}

/// <summary>
/// A kernel image as hostile as the fuzzer makes it, loaded as <c>vireo run</c> loads one:
/// <see cref="BzImage.Parse"/>, then <see cref="LinuxLoader.Load(GuestMemory, BzImage, string, ReadOnlyMemory{byte}, IReadOnlyList{E820Entry}, GuestAddress?)"/>
/// into guest RAM laid out as the machine lays it out (from 0 up to the 3 GiB MMIO hole, the
/// rest from 4 GiB), with the e820 map of that RAM. The loader may refuse only with a
/// <see cref="KernelImageException"/>; anything else it throws is a defect, and so is a load
/// that breaks an invariant (<see cref="LoaderInvariantException"/>): every piece inside RAM
/// and inside e820 RAM, no two pieces overlapping, and boot_params naming exactly what was
/// written where it was written.
/// </summary>
/// <remarks>Input: bytes 0-1 (little-endian) the guest RAM in 128 KiB units less one; bytes 2-4
/// the initramfs size (up to 16 MiB); bytes 5-7 the command line length (modulo 0x110000);
/// byte 8 the command line's character; the rest is the kernel file.</remarks>
public static class BzImageTarget
{
    /// <summary>Bytes before the kernel file.</summary>
    public const int ChoiceBytes = 9;

    /// <summary>RAM below the MMIO hole, as the machine builds it (MemoryLayout.MmioHoleStart).</summary>
    public const ulong MmioHoleStart = 0xc000_0000;

    /// <summary>Where RAM above the hole continues (MemoryLayout.HighRamStart).</summary>
    public const ulong HighRamStart = 0x1_0000_0000;

    /// <summary>An RSDP address for boot_params to carry.</summary>
    public const ulong RsdpAddress = 0xe0000;

    private const int CmdlineLengthModulo = 0x110000;

    // struct boot_params offsets (arch/x86/include/uapi/asm/bootparam.h).
    private const int BpAcpiRsdpAddr = 0x070;
    private const int BpExtRamdiskImage = 0x0c0;
    private const int BpExtRamdiskSize = 0x0c4;
    private const int BpExtCmdLinePtr = 0x0c8;
    private const int BpE820Entries = 0x1e8;
    private const int BpHeader = 0x202;
    private const int BpTypeOfLoader = 0x210;
    private const int BpRamdiskImage = 0x218;
    private const int BpRamdiskSize = 0x21c;
    private const int BpCmdLinePtr = 0x228;
    private const int BpSetupData = 0x250;
    private const int BpE820Table = 0x2d0;
    private const int BootParamsSize = 4096;

    // Setup header offsets in the file (Documentation/arch/x86/boot.rst).
    private const int HdrSetupSects = 0x1f1;
    private const int HdrInitrdAddrMax = 0x22c;
    private const int HdrInitSize = 0x260;

    /// <summary>Loads the input's kernel into its guest; returns whether it was loaded or refused.</summary>
    public static BzImageOutcome Run(ReadOnlySpan<byte> input)
    {
        if (input.Length < ChoiceBytes)
        {
            return BzImageOutcome.TooShort;
        }
        ulong memoryBytes = (BinaryPrimitives.ReadUInt16LittleEndian(input) + 1UL) * (128 << 10);
        int initramfsSize = input[2] | (input[3] << 8) | (input[4] << 16);
        int cmdlineLength = (input[5] | (input[6] << 8) | (input[7] << 16)) % CmdlineLengthModulo;
        char cmdlineChar = (char)(' ' + (input[8] % 0x5f));
        byte[] file = input[ChoiceBytes..].ToArray();

        BzImage kernel;
        try
        {
            kernel = BzImage.Parse(file, "fuzz");
        }
        catch (KernelImageException)
        {
            return BzImageOutcome.Refused;
        }
        ulong low = Math.Min(memoryBytes, MmioHoleStart);
        using GuestMemory memory = memoryBytes == low
            ? GuestMemory.Create((new GuestAddress(0), low))
            : GuestMemory.Create((new GuestAddress(0), low), (new GuestAddress(HighRamStart), memoryBytes - low));
        IReadOnlyList<E820Entry> e820 = E820Map.For(memory);
        string cmdline = new(cmdlineChar, cmdlineLength);
        byte[] initramfs = new byte[initramfsSize];
        for (int i = 0; i < initramfs.Length; i += 4096)
        {
            initramfs[i] = (byte)(i >> 12 | 1); // A mark on every page, cheap to write and to check.
        }
        if (initramfs.Length > 0)
        {
            initramfs[^1] = 0xee;
        }

        LinuxBootInfo info;
        try
        {
            info = LinuxLoader.Load(memory, kernel, cmdline, initramfs, e820, new GuestAddress(RsdpAddress));
        }
        catch (KernelImageException)
        {
            return BzImageOutcome.Refused;
        }
        Check(memory, file, kernel, cmdline, initramfs, e820, info);
        return BzImageOutcome.Loaded;
    }

    private static void Check(GuestMemory memory, byte[] file, BzImage kernel, string cmdline, byte[] initramfs, IReadOnlyList<E820Entry> e820, LinuxBootInfo info)
    {
        byte[] bp = new byte[BootParamsSize];
        Expect(memory.IsRange(info.BootParamsAddress, BootParamsSize), $"boot_params at {info.BootParamsAddress} is not in RAM");
        memory.Read(info.BootParamsAddress, bp);

        // The kernel: its bytes at its address, and its decompression area (init_size) in RAM.
        Expect(info.EntryPoint.Value == info.KernelAddress.Value + 0x200, $"entry {info.EntryPoint} is not 0x200 past the kernel at {info.KernelAddress}");
        int kernelOffset = (file[HdrSetupSects] == 0 ? 4 : file[HdrSetupSects]) + 1;
        kernelOffset *= 512;
        Expect(kernel.ProtectedModeKernelLength == file.Length - kernelOffset, "the protected-mode kernel is not the file after its setup sectors");
        ulong kernelArea = Math.Max(BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(HdrInitSize)), (ulong)kernel.ProtectedModeKernelLength);
        ExpectBytes(memory, info.KernelAddress, file.AsSpan(kernelOffset), "kernel");

        // The command line: NUL-terminated where cmd_line_ptr says.
        byte[] cmdlineBytes = Encoding.ASCII.GetBytes(cmdline + "\0");
        Expect(BinaryPrimitives.ReadUInt32LittleEndian(bp.AsSpan(BpCmdLinePtr)) == info.CmdlineAddress.Value
            && BinaryPrimitives.ReadUInt32LittleEndian(bp.AsSpan(BpExtCmdLinePtr)) == 0,
            $"cmd_line_ptr does not name the command line at {info.CmdlineAddress}");
        ExpectBytes(memory, info.CmdlineAddress, cmdlineBytes, "command line");

        // The header copied from the image, marked as loaded by an undefined loader.
        Expect(bp.AsSpan(BpHeader, 4).SequenceEqual("HdrS"u8), "boot_params has no HdrS");
        Expect(bp[BpTypeOfLoader] == 0xff, $"type_of_loader is 0x{bp[BpTypeOfLoader]:x2}, not 0xff");
        Expect(BinaryPrimitives.ReadUInt64LittleEndian(bp.AsSpan(BpAcpiRsdpAddr)) == RsdpAddress, "acpi_rsdp_addr is not the RSDP given");
        Expect(BinaryPrimitives.ReadUInt64LittleEndian(bp.AsSpan(BpSetupData)) == 0, "setup_data points somewhere, but the loader wrote no setup_data list");

        // The e820 map as given.
        Expect(bp[BpE820Entries] == e820.Count, $"e820_entries is {bp[BpE820Entries]}, not {e820.Count}");
        for (int i = 0; i < e820.Count; i++)
        {
            ReadOnlySpan<byte> entry = bp.AsSpan(BpE820Table + (20 * i), 20);
            Expect(BinaryPrimitives.ReadUInt64LittleEndian(entry) == e820[i].Address
                && BinaryPrimitives.ReadUInt64LittleEndian(entry[8..]) == e820[i].Size
                && BinaryPrimitives.ReadUInt32LittleEndian(entry[16..]) == (uint)e820[i].Type, $"e820 entry {i} is not the one given");
        }

        // The initramfs where ramdisk_image says, page-aligned, below initrd_addr_max.
        ulong ramdiskImage = BinaryPrimitives.ReadUInt32LittleEndian(bp.AsSpan(BpRamdiskImage)) | ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(bp.AsSpan(BpExtRamdiskImage)) << 32);
        ulong ramdiskSize = BinaryPrimitives.ReadUInt32LittleEndian(bp.AsSpan(BpRamdiskSize)) | ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(bp.AsSpan(BpExtRamdiskSize)) << 32);
        var pieces = new List<(string Name, ulong Start, ulong Length)>
        {
            ("boot_params", info.BootParamsAddress.Value, BootParamsSize),
            ("command line", info.CmdlineAddress.Value, (ulong)cmdlineBytes.Length),
            ("kernel", info.KernelAddress.Value, kernelArea),
        };
        if (initramfs.Length == 0)
        {
            Expect(info.InitramfsAddress is null && ramdiskImage == 0 && ramdiskSize == 0, "no initramfs, yet boot_params or the boot info name one");
        }
        else
        {
            Expect(info.InitramfsAddress is GuestAddress at && at.Value == ramdiskImage && ramdiskSize == (ulong)initramfs.Length && info.InitramfsSize == ramdiskSize,
                $"ramdisk_image 0x{ramdiskImage:x} size 0x{ramdiskSize:x} is not the initramfs placed at {info.InitramfsAddress} ({initramfs.Length} bytes)");
            Expect(ramdiskImage % 4096 == 0, $"the initramfs at 0x{ramdiskImage:x} is not page-aligned");
            ulong addrMax = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(HdrInitrdAddrMax));
            Expect(ramdiskImage + ramdiskSize - 1 <= addrMax, $"the initramfs ends at 0x{ramdiskImage + ramdiskSize:x}, above initrd_addr_max 0x{addrMax:x}");
            ExpectBytes(memory, new GuestAddress(ramdiskImage), initramfs, "initramfs");
            pieces.Add(("initramfs", ramdiskImage, ramdiskSize));
        }

        // Every piece in RAM, in what e820 calls RAM, and apart from every other.
        for (int i = 0; i < pieces.Count; i++)
        {
            (string name, ulong start, ulong length) = pieces[i];
            Expect(memory.IsRange(new GuestAddress(start), length), $"the {name} (0x{start:x}+0x{length:x}) is not all guest RAM");
            Expect(InE820Ram(e820, start, length), $"the {name} (0x{start:x}+0x{length:x}) is not inside one e820 RAM entry");
            for (int j = i + 1; j < pieces.Count; j++)
            {
                (string other, ulong otherStart, ulong otherLength) = pieces[j];
                Expect(start + length <= otherStart || otherStart + otherLength <= start,
                    $"the {name} (0x{start:x}+0x{length:x}) overlaps the {other} (0x{otherStart:x}+0x{otherLength:x})");
            }
        }
    }

    private static bool InE820Ram(IReadOnlyList<E820Entry> e820, ulong start, ulong length)
    {
        foreach (E820Entry e in e820)
        {
            if (e.Type == E820Type.Ram && start >= e.Address && start + length <= e.Address + e.Size)
            {
                return true;
            }
        }
        return false;
    }

    private static void ExpectBytes(GuestMemory memory, GuestAddress at, ReadOnlySpan<byte> expected, string what)
    {
        Expect(memory.IsRange(at, (ulong)expected.Length), $"the {what} at {at} (0x{expected.Length:x} bytes) is not all guest RAM");
        byte[] actual = new byte[expected.Length];
        memory.Read(at, actual);
        Expect(expected.SequenceEqual(actual), $"guest RAM at {at} does not hold the {what} written there");
    }

    private static void Expect(bool condition, string message)
    {
        if (!condition)
        {
            throw new LoaderInvariantException(message);
        }
    }
}
