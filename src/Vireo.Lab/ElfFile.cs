using System.Buffers.Binary;

namespace Vireo.Lab;

/// <summary>Just enough ELF to tell a static executable from a dynamic one (a PT_INTERP
/// program header means the program needs ld.so and shared libraries), and to read a kernel
/// module's .modinfo strings (what modinfo prints: depends=, alias=, vermagic=...).</summary>
internal static class ElfFile
{
    // ELF-64 header (System V gABI): e_phoff at 0x20, e_phentsize at 0x36, e_phnum at 0x38.
    private const int PhOffOffset = 0x20;
    private const int PhEntSizeOffset = 0x36;
    private const int PhNumOffset = 0x38;
    private const uint PtInterp = 3;

    // e_shoff at 0x28, e_shentsize at 0x3a, e_shnum at 0x3c, e_shstrndx at 0x3e; in a section
    // header, sh_name at 0, sh_offset at 0x18, sh_size at 0x20.
    private const int ShOffOffset = 0x28;
    private const int ShEntSizeOffset = 0x3A;
    private const int ShNumOffset = 0x3C;
    private const int ShStrNdxOffset = 0x3E;
    private const int SectionHeaderSize = 0x40;

    /// <summary>The NUL-separated "key=value" strings of a kernel module's .modinfo section,
    /// in file order; empty when it has none.</summary>
    /// <exception cref="LabException">The file is not a 64-bit little-endian ELF or its section table is cut short.</exception>
    public static IReadOnlyList<string> ModuleInfo(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        RequireElf64(bytes, path);
        ulong shoff = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(ShOffOffset));
        int shentsize = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(ShEntSizeOffset));
        int shnum = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(ShNumOffset));
        int shstrndx = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(ShStrNdxOffset));
        if (shentsize < SectionHeaderSize || shstrndx >= shnum)
        {
            throw new LabException($"{path} has no usable ELF section table");
        }
        ReadOnlySpan<byte> names = Section(bytes, shoff, shentsize, shstrndx, path);
        for (int i = 0; i < shnum; i++)
        {
            ReadOnlySpan<byte> header = Header(bytes, shoff, shentsize, i, path);
            int nameAt = (int)BinaryPrimitives.ReadUInt32LittleEndian(header);
            if (nameAt >= names.Length)
            {
                continue;
            }
            ReadOnlySpan<byte> name = names[nameAt..];
            int end = name.IndexOf((byte)0);
            if (name[..(end < 0 ? name.Length : end)].SequenceEqual(".modinfo"u8))
            {
                string text = System.Text.Encoding.UTF8.GetString(Section(bytes, shoff, shentsize, i, path));
                return text.Split('\0', StringSplitOptions.RemoveEmptyEntries);
            }
        }
        return [];
    }

    private static ReadOnlySpan<byte> Header(byte[] bytes, ulong shoff, int shentsize, int index, string path)
    {
        ulong at = shoff + (ulong)index * (ulong)shentsize;
        if (at + SectionHeaderSize > (ulong)bytes.Length)
        {
            throw new LabException($"{path}: ELF section header {index} lies past the end of the file");
        }
        return bytes.AsSpan((int)at, SectionHeaderSize);
    }

    private static ReadOnlySpan<byte> Section(byte[] bytes, ulong shoff, int shentsize, int index, string path)
    {
        ReadOnlySpan<byte> header = Header(bytes, shoff, shentsize, index, path);
        ulong offset = BinaryPrimitives.ReadUInt64LittleEndian(header[0x18..]);
        ulong size = BinaryPrimitives.ReadUInt64LittleEndian(header[0x20..]);
        if (offset > (ulong)bytes.Length || size > (ulong)bytes.Length - offset)
        {
            throw new LabException($"{path}: ELF section {index} lies past the end of the file");
        }
        return bytes.AsSpan((int)offset, (int)size);
    }

    private static void RequireElf64(byte[] bytes, string path)
    {
        if (bytes.Length < 0x40 || !bytes.AsSpan(0, 4).SequenceEqual("\u007FELF"u8) || bytes[4] != 2 || bytes[5] != 1)
        {
            throw new LabException($"{path} is not a little-endian 64-bit ELF file");
        }
    }

    public static bool IsElf(string path)
    {
        Span<byte> magic = stackalloc byte[4];
        using FileStream file = File.OpenRead(path);
        return file.Read(magic) == 4 && magic.SequenceEqual("\u007FELF"u8);
    }

    /// <summary>EM_X86_64 and EM_AARCH64 (ELF gABI e_machine values).</summary>
    public const ushort MachineX64 = 62;

    /// <inheritdoc cref="MachineX64"/>
    public const ushort MachineAarch64 = 183;

    /// <summary>The ELF file's e_machine (at 0x12): the architecture it runs on.</summary>
    public static ushort Machine(string path)
    {
        Span<byte> header = stackalloc byte[0x14];
        using FileStream file = File.OpenRead(path);
        if (file.Read(header) < header.Length || !header[..4].SequenceEqual("\u007FELF"u8))
        {
            throw new LabException($"{path} is not an ELF file");
        }
        return BinaryPrimitives.ReadUInt16LittleEndian(header[0x12..]);
    }

    public static bool HasInterpreter(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        RequireElf64(bytes, path);
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
