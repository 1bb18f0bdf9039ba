using System.Buffers.Binary;

namespace Vireo.Lab;

/// <summary>Just enough ELF to tell a static executable from a dynamic one (a PT_INTERP
/// program header means the program needs ld.so and shared libraries).</summary>
internal static class ElfFile
{
    // ELF-64 header (System V gABI): e_phoff at 0x20, e_phentsize at 0x36, e_phnum at 0x38.
    private const int PhOffOffset = 0x20;
    private const int PhEntSizeOffset = 0x36;
    private const int PhNumOffset = 0x38;
    private const uint PtInterp = 3;

    public static bool IsElf(string path)
    {
        Span<byte> magic = stackalloc byte[4];
        using FileStream file = File.OpenRead(path);
        return file.Read(magic) == 4 && magic.SequenceEqual("\u007FELF"u8);
    }

    public static bool HasInterpreter(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length < 0x40 || !bytes.AsSpan(0, 4).SequenceEqual("\u007FELF"u8) || bytes[4] != 2 || bytes[5] != 1)
        {
            throw new LabException($"{path} is not a little-endian 64-bit ELF file");
        }
        ulong phoff = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(PhOffOffset));
        int phentsize = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(PhEntSizeOffset));
        int phnum = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(PhNumOffset));
        for (int i = 0; i < phnum; i++)
        {
            ulong at = phoff + (ulong)(i * phentsize);
            if (at + 4 > (ulong)bytes.Length)
            {
                break;
            }
            if (BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan((int)at)) == PtInterp)
            {
                return true;
            }
        }
        return false;
    }
}
